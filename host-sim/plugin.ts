import { BufferType, MapType, WasmResult } from './abi/constants.js';
import type { HeaderPairs } from './abi/memory.js';
import type {
  HostServices,
  HttpCallRequest,
  HttpCallResponse,
  PropertyDeclaration,
  ProxyContext,
  RootContextCalls,
} from './context.js';
import { ConfigureError, frameLines, mostTellingLine, type TrapInfo, type VmTrap } from './errors.js';
import { propertyBytes, type PropertyValue } from './properties.js';
import { GrpcCallouts } from './grpc-callouts.js';
import type { GrpcCluster } from './grpc-upstream.js';
import type { WasmVm } from './vm.js';

export type FailStrategy = 'FAIL_CLOSE' | 'FAIL_OPEN' | 'FAIL_RELOAD';

export interface PluginOptions {
  /** Envoy's plugin name (Istio: namespace.name). Default "meshwasm". */
  name?: string;
  rootId?: string;
  /** Plugin configuration, handed to proxy_on_configure. */
  configuration?: Uint8Array;
  /** What a request sees when the filter traps. Default FAIL_CLOSE, as Istio. */
  failStrategy?: FailStrategy;
  /** Property overrides for this plugin's contexts ("source.address", node.metadata, ...). */
  properties?: Record<string, PropertyValue>;
}

export type { HttpCallRequest } from './context.js';

/** What a plugin needs of the proxy it runs in (host.ts's Host). */
export interface PluginHost extends HostServices {
  readonly logs: { level: string; message: string }[];
  readonly captureLogs: boolean;
  readonly properties: Record<string, PropertyValue>;
  readonly plugins: Plugin[];
  recordCall(plugin: Plugin, record: HttpCallRecord): void;
  /** Traps outside a stream, in the order they happened (the VM is failed after the first). */
  readonly vmTraps: VmTrap[];
  dispatchHttpCall(req: HttpCallRequest, deliver: (o: HttpCallResponse | { failure: string }) => void): void;
  post(fn: () => void): void;
  /** Where gRPC callouts to `name` go; undefined when the host has no gRPC route to it. */
  grpcCluster(name: string): GrpcCluster | undefined;
}

export interface HttpCallRecord extends HttpCallRequest {
  token: number;
  /** Context that made the call: 'root' or the stream's id. */
  from: 'root' | number;
  response?: { status: number; headers: HeaderPairs; body: string } | { failure: string };
}

interface PendingCall {
  ctx: ProxyContext;
  record: HttpCallRecord;
}

/**
 * A plugin: a root context for one root_id on a VM, with its configuration. Creates one stream
 * context per request, owns the plugin's timers and outstanding http calls.
 */
export class Plugin implements ProxyContext, RootContextCalls {
  readonly kind = 'root';
  readonly id: number;
  readonly name: string;
  readonly rootId: string;
  readonly failStrategy: FailStrategy;
  readonly configuration: Uint8Array;
  httpCallResponse: HttpCallResponse | undefined;
  status = { code: 0, message: '' };
  /** Its live stream contexts (wasm-filter.ts adds and removes them). */
  readonly streams = new Set<ProxyContext>();
  tickPeriodMs = 0;
  nextTickAtMs = 0;
  private configuring = false;
  private nextToken = 1;
  private pending = new Map<number, PendingCall>();
  readonly calls: HttpCallRecord[] = [];
  private properties: Record<string, PropertyValue>;
  /** proxy_done was called after on_done returned false. */
  doneCalled = false;
  private shuttingDown = false;
  private isDeleted = false;
  /** gRPC callouts of this root context (grpc-callouts.ts). */
  readonly grpc: GrpcCallouts;

  constructor(
    readonly host: PluginHost,
    public vm: WasmVm,
    opts: PluginOptions = {},
  ) {
    this.id = vm.newContextId();
    this.name = opts.name ?? 'meshwasm';
    this.rootId = opts.rootId ?? '';
    this.failStrategy = opts.failStrategy ?? 'FAIL_CLOSE';
    this.configuration = opts.configuration ?? new Uint8Array(0);
    this.properties = opts.properties ?? {};
    this.grpc = new GrpcCallouts(this);
  }

  get plugin(): Plugin {
    return this;
  }

  get failed(): TrapInfo | undefined {
    return this.vm.failed;
  }

  /** Envoy's start-up for a root context: create, proxy_on_vm_start, proxy_on_configure. */
  start(): void {
    const vm = this.vm;
    vm.contexts.set(this.id, this);
    const logStart = this.host.logs.length;
    vm.call(this, 'proxy_on_context_create', [this.id, 0]);
    this.failIfTrapped('proxy_on_context_create', logStart);
    const started = vm.call(this, 'proxy_on_vm_start', [this.id, vm.vmConfig.length]);
    this.failIfTrapped('proxy_on_vm_start', logStart);
    if (started === 0) {
      throw new ConfigureError(this.refusal('proxy_on_vm_start', logStart), this.host.logs.slice(logStart));
    }
    this.configuring = true;
    const ok = vm.call(this, 'proxy_on_configure', [this.id, this.configuration.length]);
    this.configuring = false;
    this.failIfTrapped('proxy_on_configure', logStart);
    if (ok === 0) {
      throw new ConfigureError(this.refusal('proxy_on_configure', logStart), this.host.logs.slice(logStart));
    }
  }

  private refusal(callback: string, logStart: number): string {
    const errors = this.host.logs
      .slice(logStart)
      .filter((l) => l.level === 'error' || l.level === 'critical' || l.level === 'warn');
    const last = errors[errors.length - 1];
    return (
      `plugin "${this.name}" rejected its configuration: ${callback} returned false` +
      (last ? `; the filter logged: ${last.message}` : '; the filter logged no reason')
    );
  }

  private failIfTrapped(callback: string, logStart: number): void {
    const t = this.vm.failed;
    if (!t) return;
    const logs = this.host.logs.slice(logStart);
    const telling = mostTellingLine(logs);
    throw new ConfigureError(
      `plugin "${this.name}" trapped in ${callback}${t.function ? ` (in ${t.function})` : ''}: ${t.message}` +
        (telling ? `; the filter logged: ${telling}` : '') +
        // A debug build's frames, mapped to its source, follow as a stack.
        (t.frames?.some((f) => f.at)
          ? frameLines(t.frames)
              .map((l) => `\n    ${l}`)
              .join('')
          : ''),
      logs,
      t,
    );
  }

  /**
   * Calls a root-context callback outside any stream; a trap there fails the VM (as in Envoy) and
   * is recorded in host.vmTraps, where the harness, `meshwasm run` and `analyze` show it.
   */
  callRoot(callback: string, args: number[]): number | undefined {
    const before = this.vm.failed;
    const logStart = this.host.logs.length;
    const r = this.vm.call(this, callback, args);
    const t = this.vm.failed;
    if (t && !before) {
      const logged = mostTellingLine(this.host.logs.slice(logStart));
      this.host.vmTraps.push({ ...t, plugin: this.name, ...(logged ? { logged } : {}) });
    }
    return r;
  }

  // --- timers -----------------------------------------------------------------------------
  setTickPeriod(ms: number): void {
    this.tickPeriodMs = ms;
    this.nextTickAtMs = ms > 0 ? this.host.clock.nowMs + ms : 0;
  }

  /** Runs proxy_on_tick for every period that elapsed by `nowMs`. */
  runTicks(nowMs: number): void {
    while (this.tickPeriodMs > 0 && this.nextTickAtMs <= nowMs && !this.vm.failed) {
      this.nextTickAtMs += this.tickPeriodMs;
      this.callRoot('proxy_on_tick', [this.id]);
    }
  }

  // --- http calls -------------------------------------------------------------------------
  startHttpCall(ctx: ProxyContext, req: HttpCallRequest): number {
    const token = this.nextToken++;
    const record: HttpCallRecord = { ...req, token, from: ctx.kind === 'root' ? 'root' : ctx.id };
    // Kept for inspection only while the host keeps logs: a long-running proxy must not grow.
    if (this.host.captureLogs) this.calls.push(record);
    this.host.recordCall(this, record);
    this.pending.set(token, { ctx, record });
    // The response always arrives after the current callback returns, as in Envoy.
    this.host.dispatchHttpCall(req, (outcome) => this.deliver(token, outcome));
    return token;
  }

  /**
   * Envoy's Context::onHttpCallSuccess/onHttpCallFailure on the ROOT context: the call belongs to
   * the plugin (cpp-host src/exports.cc http_call uses root_context()), so the response comes with
   * the root's id, the response maps and body hang off the root and are readable whichever
   * context the guest makes effective, and a failure's status is the root's (get_status also
   * reads the root). The SDK routes the response to the stream that asked.
   */
  private deliver(token: number, outcome: HttpCallResponse | { failure: string }): void {
    const p = this.pending.get(token);
    if (!p || this.isDeleted) return;
    this.pending.delete(token);
    if ('failure' in outcome) {
      p.record.response = { failure: outcome.failure };
      this.status = { code: WasmResult.BrokenConnection, message: outcome.failure };
      this.httpCallResponse = { headers: [], body: new Uint8Array(0), trailers: [] };
      this.callRoot('proxy_on_http_call_response', [this.id, token, 0, 0, 0]);
      this.status = { code: 0, message: '' };
    } else {
      const status = Number(outcome.headers.find(([k]) => k === ':status')?.[1] ?? 0);
      p.record.response = { status, headers: outcome.headers, body: Buffer.from(outcome.body).toString('utf8') };
      this.httpCallResponse = outcome;
      this.callRoot('proxy_on_http_call_response', [
        this.id,
        token,
        outcome.headers.length,
        outcome.body.length,
        outcome.trailers.length,
      ]);
    }
    this.httpCallResponse = undefined;
    // The stream that asked waits on this answer; on a failed VM it would wait forever: its policy answers now.
    if (this.vm.failed) p.ctx.vmFailed?.();
  }

  get pendingCalls(): number {
    return this.pending.size;
  }

  // --- queues -----------------------------------------------------------------------------
  notifyQueueReady(queueId: number): void {
    // Envoy posts the notification to the owning VM's thread; it runs after the current call.
    this.vm.defer(() => this.host.post(() => this.callRoot('proxy_on_queue_ready', [this.id, queueId])));
  }

  // --- end of life ------------------------------------------------------------------------
  /**
   * Envoy's shutdown of a root context (WasmBase::startShutdown): proxy_on_done; a filter that
   * answers false stays alive, timers included, until it calls proxy_done; then proxy_on_delete.
   * Returns true once the context is deleted.
   */
  shutdown(): boolean {
    if (this.shuttingDown) return this.isDeleted;
    this.shuttingDown = true;
    const finished = this.callRoot('proxy_on_done', [this.id]);
    if (finished === 0 && !this.vm.failed) return false;
    this.remove();
    return true;
  }

  get deleted(): boolean {
    return this.isDeleted;
  }

  private remove(): void {
    if (this.isDeleted) return;
    this.isDeleted = true;
    this.vm.call(this, 'proxy_on_delete', [this.id]);
    this.grpc.cancelAll();
    this.tickPeriodMs = 0;
    this.vm.contexts.delete(this.id);
    const i = this.host.plugins.indexOf(this);
    if (i >= 0) this.host.plugins.splice(i, 1);
  }

  /** proxy_done: as Envoy's WasmBase::done, NotFound unless this root context's shutdown is pending. */
  done(_ctx: ProxyContext): WasmResult {
    if (!this.shuttingDown || this.isDeleted) return WasmResult.NotFound;
    this.doneCalled = true;
    this.vm.defer(() => this.remove());
    return WasmResult.Ok;
  }

  // --- ProxyContext -----------------------------------------------------------------------
  getMap(type: MapType): HeaderPairs | undefined {
    if (type === MapType.HttpCallResponseHeaders) return this.httpCallResponse?.headers;
    if (type === MapType.HttpCallResponseTrailers) return this.httpCallResponse?.trailers;
    return this.grpc.getMap(type);
  }

  getBuffer(type: BufferType): Uint8Array | undefined {
    switch (type) {
      case BufferType.VmConfiguration:
        return this.vm.vmConfig;
      // Envoy hands the plugin configuration only while proxy_on_configure runs.
      case BufferType.PluginConfiguration:
        return this.configuring ? this.configuration : undefined;
      case BufferType.HttpCallResponseBody:
        return this.httpCallResponse?.body;
      default:
        return this.grpc.getBuffer(type);
    }
  }

  setBuffer(): WasmResult {
    return WasmResult.NotFound;
  }

  getProperty(path: string[]): Uint8Array | undefined {
    const key = path.join('.');
    // Answered by the host itself, as Envoy does.
    if (key === 'plugin_name') return Buffer.from(this.name);
    if (key === 'plugin_root_id') return Buffer.from(this.rootId);
    if (key === 'plugin_vm_id') return Buffer.from(this.vm.vmId);
    return propertyBytes(this.properties, path) ?? propertyBytes(this.host.properties, path);
  }

  setProperty(): WasmResult {
    // Root contexts have no stream info to hold filter state.
    return WasmResult.NotFound;
  }

  sendLocalResponse(): WasmResult {
    return WasmResult.NotFound;
  }
  continueStream(): WasmResult {
    return WasmResult.NotFound;
  }
  closeStream(): WasmResult {
    return WasmResult.NotFound;
  }

  private declarations = new Map<string, PropertyDeclaration>();
  declareProperty(decl: PropertyDeclaration): WasmResult {
    // Context::declareProperty keeps the first declaration: its schema may be in use.
    if (this.declarations.has(decl.name)) return WasmResult.BadArgument;
    this.declarations.set(decl.name, decl);
    return WasmResult.Ok;
  }
  declaredProperty(name: string): PropertyDeclaration | undefined {
    return this.declarations.get(name);
  }
  setEnvoyFilterState(): WasmResult {
    return WasmResult.NotFound;
  }
  clearRouteCache(): void {}
}
