import { loadMeter } from '../module/meter.js';
import type { VmLimitOptions } from '../vm-limits.js';
import { readFile } from 'node:fs/promises';
import inspector from 'node:inspector';
import { withAbsoluteSourceMap } from '../module/debugger-source-map.js';
import { LOG_LEVELS, type LogLevelName } from '../abi/constants.js';
import type { HeaderPairs } from '../abi/memory.js';
import { runExchange, type ExchangeResult, type RequestSpec } from '../exchange.js';
import { Host, type LogEntry } from '../host.js';
import type { ClusterTarget } from '../http-upstream.js';
import type { FailStrategy, Plugin } from '../plugin.js';
import { metadataValue, nestProperties, structValue } from '../properties.js';
import type { MetricValue } from '../stores/metrics.js';
import type { WasmVm } from '../vm.js';
import type { VmTrap } from '../errors.js';
import { openConnection, type ConnectionSpec, type TcpConnection } from './connection.js';
import type { GrpcCallRecord } from '../grpc-callouts.js';
import type { GrpcScript } from '../grpc-upstream.js';

export { ConfigureError, HostError } from '../errors.js';
export type { ExchangeResult, RequestSpec, ResponseSpec } from '../exchange.js';
export type { HttpCallAnswer, HttpCallResponder } from '../http-upstream.js';
export type { HttpCallRecord } from '../plugin.js';
export type { LogEntry } from '../host.js';
export type { VmTrap } from '../errors.js';
export type { ConnectionSpec, TcpConnection } from './connection.js';
export type { GrpcCallRecord } from '../grpc-callouts.js';
export type { GrpcReply, GrpcRequest, GrpcScript } from '../grpc-upstream.js';
export { GrpcStatus } from '../grpc-upstream.js';
export { encodeGrpcService } from '../grpc-service.js';

export interface HarnessOptions {
  /** Path to a .wasm file, or its bytes. */
  module: string | Uint8Array;
  /**
   * Where `module`'s bytes were read from, when given as bytes: a debug build's source map is
   * found from it (a path `module` is used by itself).
   */
  modulePath?: string;
  /** Plugin configuration: an object (JSON-encoded), a string, or bytes. */
  config?: unknown;
  /** VM configuration, handed to proxy_on_vm_start. */
  vmConfig?: unknown;
  rootId?: string;
  pluginName?: string;
  vmId?: string;
  failStrategy?: FailStrategy;
  /** Targets of proxy_http_call, by cluster name: a responder function or a real upstream's base URL. */
  clusters?: Record<string, ClusterTarget>;
  /**
   * Scripted gRPC services by cluster, for proxy_grpc_call / proxy_grpc_stream: a function from
   * the request (its messages, metadata, service, method) to the reply, or { reply, onMessage }.
   */
  grpcClusters?: Record<string, GrpcScript | GrpcScript['reply']>;
  /** Property overrides for every context ("source.address", "node.metadata", ...). */
  properties?: Record<string, unknown>;
  /** What proxy_get_log_level answers. Default trace, so tests see every line. */
  logLevel?: LogLevelName;
  /** WASI environment variables (Istio's vmConfig.env). */
  env?: Record<string, string>;
  /** Virtual clock start, ms since the epoch. */
  startTimeMs?: number;
  /** How errors name the module (default: its path). */
  label?: string;
  /** The Envoy release whose imports the module may use ("1.36"); default the newest known. */
  envoyVersion?: string;
  /** node.metadata as a plain object (a google.protobuf.Struct in Envoy). */
  nodeMetadata?: Record<string, unknown>;
  /** The upstream cluster's metadata, filter name -> plain object (cluster_metadata.filter_metadata). */
  clusterMetadata?: Record<string, Record<string, unknown>>;
  /** Filter state entries every request starts with, key -> string or bytes (filter_state.KEY). */
  filterState?: Record<string, string | Uint8Array>;
  /**
   * Execution deadlines and memory limit (vm-limits.ts), as `meshwasm proxy` applies them; unset,
   * none (a test harness may single-step a filter in a debugger).
   */
  limits?: VmLimitOptions;
}

/** Another plugin (root context) for the same harness: on the harness VM or on a new VM. */
export interface ExtraPluginOptions {
  /** Loads a separate VM for this plugin (a different vm_id, or another module); default shares the harness VM. */
  module?: string | Uint8Array;
  vmId?: string;
  vmConfig?: unknown;
  config?: unknown;
  rootId?: string;
  pluginName?: string;
  failStrategy?: FailStrategy;
}

export interface RequestResult extends ExchangeResult {
  /** First value of a header as the upstream received it. */
  upstreamHeader(name: string): string | undefined;
  /** First value of a header as the client received it. */
  downstreamHeader(name: string): string | undefined;
}

export interface Harness {
  readonly host: Host;
  readonly plugin: Plugin;
  readonly vm: WasmVm;
  /** Every log line since the harness was created. */
  readonly logs: LogEntry[];
  request(spec: RequestSpec): Promise<RequestResult>;
  /**
   * Advances the virtual clock by `ms`, running proxy_on_tick as periods elapse. Returns the traps
   * outside a stream that happened meanwhile (each fails its VM, as in Envoy).
   */
  tick(ms: number): Promise<VmTrap[]>;
  /** Calls a root context's proxy_on_tick now, whatever its tick period (default: the harness plugin). */
  onTick(plugin?: Plugin): Promise<VmTrap[]>;
  /** Calls a root context's proxy_on_queue_ready for `queueId` now. */
  onQueueReady(queueId: number, plugin?: Plugin): Promise<VmTrap[]>;
  /** Every trap outside a stream since the harness was created. */
  readonly vmTraps: VmTrap[];
  /** Starts another plugin on the harness VM (same vm_id) or, with `module`/`vmId`, on a new VM. */
  addPlugin(opts: ExtraPluginOptions): Promise<Plugin>;
  /** Plays a request through a chain of plugins (e.g. the harness plugin and one from addPlugin). */
  requestThrough(plugins: Plugin[], spec: RequestSpec): Promise<RequestResult>;
  /** Opens a TCP connection through the filter (a network filter): proxy_on_new_connection runs. */
  connection(spec?: ConnectionSpec): Promise<TcpConnection>;
  /** The gRPC callouts the filter made (on the current plugin), in order. */
  grpcCalls(): GrpcCallRecord[];
  /** A counter's or gauge's value (a histogram's sum), by the name the filter defined. */
  metric(name: string): number | undefined;
  metrics(): MetricValue[];
  /** Shared data under `key` for this VM's vm_id, as a string. */
  sharedData(key: string): string | undefined;
  /** Enqueues onto a shared queue the filter registered; proxy_on_queue_ready follows. */
  enqueue(queueName: string, data: string | Uint8Array): Promise<void>;
  /** Size of linear memory in bytes, for leak checks. */
  memoryBytes(): number;
  /** Shuts the plugin down as Envoy does: proxy_on_done, proxy_done if deferred, proxy_on_delete. */
  close(): void;
}

export function encodeConfig(config: unknown): Uint8Array {
  if (config === undefined || config === null) return new Uint8Array(0);
  if (config instanceof Uint8Array) return config;
  if (typeof config === 'string') return Buffer.from(config, 'utf8');
  return Buffer.from(JSON.stringify(config), 'utf8');
}

/** The plain-object metadata options as the properties Envoy answers them under. */
function metadataProperties(opts: HarnessOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.nodeMetadata) out['node.metadata'] = structValue(opts.nodeMetadata);
  if (opts.clusterMetadata) out.cluster_metadata = metadataValue(opts.clusterMetadata);
  if (opts.filterState) out.filter_state = { ...opts.filterState };
  return out;
}

const first = (h: HeaderPairs, name: string) => h.find(([k]) => k === name.toLowerCase())?.[1];

/**
 * Loads a module the way Envoy would (start-up, vm_start, configure) and returns a handle that
 * plays requests through it. Throws ConfigureError when the filter refuses its configuration.
 */
export async function createHarness(opts: HarnessOptions): Promise<Harness> {
  let bytes = typeof opts.module === 'string' ? new Uint8Array(await readFile(opts.module)) : opts.module;
  // Under a debugger (node --inspect, vitest --inspect-brk) a debug build's .ts sources must be
  // reachable from the module compiled from bytes, as `meshwasm run --inspect-brk` arranges.
  // Metering (limits) rewrites the module without its map: breakpoints then need limits unset.
  if (typeof opts.module === 'string' && inspector.url() && !opts.limits)
    bytes = withAbsoluteSourceMap(opts.module, bytes).bytes;
  const host = new Host({
    clusters: opts.clusters,
    grpcClusters: opts.grpcClusters,
    properties: { ...opts.properties, ...metadataProperties(opts) },
    startTimeMs: opts.startTimeMs,
  });
  const label = opts.label ?? (typeof opts.module === 'string' ? opts.module : 'module');
  if (opts.limits) await loadMeter();
  const vmOpts = {
    vmId: opts.vmId ?? '',
    vmConfig: encodeConfig(opts.vmConfig),
    env: opts.env,
    label,
    envoyVersion: opts.envoyVersion,
    limits: opts.limits,
    // A debug build's source map (beside it) maps a trap's frames to .ts lines.
    modulePath: typeof opts.module === 'string' ? opts.module : opts.modulePath,
  };
  const pluginOpts = {
    name: opts.pluginName ?? 'meshwasm',
    rootId: opts.rootId ?? '',
    configuration: encodeConfig(opts.config),
    failStrategy: opts.failStrategy ?? 'FAIL_CLOSE',
    properties: nestProperties({}),
  };
  const level = LOG_LEVELS.indexOf(opts.logLevel ?? 'trace');
  const boot = () => {
    const vm = host.loadVm(bytes, vmOpts);
    vm.logLevel = level;
    return host.startPlugin(vm, pluginOpts);
  };
  let plugin = boot();
  // FAIL_RELOAD: a VM that trapped is replaced by a fresh one before the next request or connection.
  const reloadIfFailed = () => {
    if (plugin.vm.failed && plugin.failStrategy === 'FAIL_RELOAD') {
      host.plugins.splice(host.plugins.indexOf(plugin), 1);
      plugin = boot();
    }
  };

  return {
    host,
    get plugin() {
      return plugin;
    },
    get vm() {
      return plugin.vm;
    },
    logs: host.logs,
    async request(spec) {
      reloadIfFailed();
      const r = await runExchange(host, [plugin], spec);
      return {
        ...r,
        upstreamHeader: (n: string) => first(r.upstream.headers, n),
        downstreamHeader: (n: string) => first(r.downstream.headers, n),
      };
    },
    grpcCalls: () => plugin.grpc.records,
    connection(spec) {
      reloadIfFailed();
      return openConnection(host, [plugin], spec);
    },
    async tick(ms) {
      const start = host.vmTraps.length;
      host.advance(ms);
      await host.settle();
      return host.vmTraps.slice(start);
    },
    async onTick(p = plugin) {
      const start = host.vmTraps.length;
      p.callRoot('proxy_on_tick', [p.id]);
      await host.settle();
      return host.vmTraps.slice(start);
    },
    async onQueueReady(queueId, p = plugin) {
      const start = host.vmTraps.length;
      p.callRoot('proxy_on_queue_ready', [p.id, queueId]);
      await host.settle();
      return host.vmTraps.slice(start);
    },
    get vmTraps() {
      return host.vmTraps;
    },
    async addPlugin(extra) {
      const newVm = extra.module !== undefined || (extra.vmId !== undefined && extra.vmId !== plugin.vm.vmId);
      let vm = plugin.vm;
      if (newVm) {
        const m = extra.module ?? bytes;
        const b = typeof m === 'string' ? new Uint8Array(await readFile(m)) : m;
        vm = host.loadVm(b, {
          ...vmOpts,
          vmId: extra.vmId ?? vmOpts.vmId,
          vmConfig: extra.vmConfig === undefined ? vmOpts.vmConfig : encodeConfig(extra.vmConfig),
          label: typeof m === 'string' ? m : vmOpts.label,
        });
        vm.logLevel = level;
      }
      return host.startPlugin(vm, {
        name: extra.pluginName ?? `${pluginOpts.name}-${host.plugins.length + 1}`,
        rootId: extra.rootId ?? '',
        configuration: encodeConfig(extra.config),
        failStrategy: extra.failStrategy ?? pluginOpts.failStrategy,
        properties: nestProperties({}),
      });
    },
    async requestThrough(plugins, spec) {
      const r = await runExchange(host, plugins, spec);
      return {
        ...r,
        upstreamHeader: (n: string) => first(r.upstream.headers, n),
        downstreamHeader: (n: string) => first(r.downstream.headers, n),
      };
    },
    metric: (name) => host.metrics.lookup(name)?.value,
    metrics: () => host.metrics.all(),
    sharedData(key) {
      const e = host.sharedData.get(plugin.vm.vmId, key);
      return e ? Buffer.from(e.value).toString('utf8') : undefined;
    },
    async enqueue(name, data) {
      const id = host.queues.resolve(plugin.vm.vmId, name);
      if (id === undefined) throw new Error(`no shared queue "${name}" registered by vm_id "${plugin.vm.vmId}"`);
      host.queues.enqueue(id, typeof data === 'string' ? Buffer.from(data) : data);
      await host.settle();
    },
    memoryBytes: () => plugin.vm.memoryBytes(),
    close() {
      // Envoy's shutdown: proxy_on_done on every root context; one that defers (answers false)
      // stays until it calls proxy_done, so h.tick() can still drive it.
      for (const p of [...host.plugins]) p.shutdown();
    },
  };
}
