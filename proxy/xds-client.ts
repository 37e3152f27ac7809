import { readAtMost } from './module-download.js';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import {
  loadEnvoyProtos,
  toStruct,
  TYPE_URL_PREFIX,
  TYPED_EXTENSION_CONFIG,
  WASM_HTTP_FILTER,
  WASM_NETWORK_FILTER,
  RBAC_HTTP_FILTER,
  STRING_VALUE,
  type AnyMessage,
  type EnvoyProtos,
} from '../envoy-api/protos.js';
import { JitteredBackoff, type BackoffOptions } from './xds-backoff.js';

/**
 * An ECDS client that behaves as Envoy does: it subscribes over
 * ExtensionConfigDiscoveryService/StreamExtensionConfigs (state-of-the-world), decodes each
 * TypedExtensionConfig, fetches remote Wasm code over HTTP and checks its sha256, then ACKs
 * (echoing version_info and nonce) or NACKs (previous version plus error_detail).
 * It knows nothing of registries or of the control plane's internals: only the protocol.
 */

export interface XdsClientOptions {
  /** host:port of the ECDS server. */
  address: string;
  nodeId: string;
  /** Workload labels, sent as node.metadata.LABELS (as istio-agent does). */
  labels?: Record<string, string>;
  /** Workload namespace, sent as node.metadata.NAMESPACE. */
  namespace?: string;
  /**
   * Resource names to subscribe to. Envoy always names them; empty means "every filter that
   * applies to this node", which meshwasm's control plane answers in chain order.
   */
  resourceNames?: string[];
  /** Validate/apply an update before it is ACKed; throwing NACKs it with the error's message. */
  onUpdate?: (update: XdsUpdate) => void | Promise<void>;
  /** Timeout for one module download (default 30 s, or the http_uri timeout when set). */
  fetchTimeoutMs?: number;
  /** Largest module the proxy downloads (default 256 MiB, the registry client's limit). */
  maxModuleBytes?: number;
  /**
   * Backoff before re-opening a broken stream: jittered, doubling from 500 ms up to 30 s by
   * default (Envoy's values), reset once the control plane answers again.
   */
  reconnect?: BackoffOptions;
  /**
   * Which chain this proxy runs: 'http' (default) takes HTTP wasm and RBAC filters, 'network'
   * (meshwasm proxy --tcp) takes envoy.filters.network.wasm ones. Resources of the other kind are
   * left out of the chain, not NACKed: they are meant for another listener.
   */
  chain?: 'http' | 'network';
}

export interface WasmFilter {
  kind: 'wasm';
  /** ECDS resource name (namespace.name for Istio-style extensions). */
  name: string;
  rootId: string;
  vmId: string;
  /** The plugin configuration as the module will read it (JSON text for Istio-style plugins). */
  configuration: string;
  failOpen: boolean;
  uri: string;
  sha256: string;
  module: Uint8Array;
  /** Environment variables for the VM: inline key/values. */
  env: Record<string, string>;
}

export interface RbacFilter {
  kind: 'rbac';
  name: string;
  /** The fallback the server sends when it could not fetch a module. */
  action: 'allow-all' | 'deny-all';
}

export type XdsFilter = WasmFilter | RbacFilter;

export interface XdsUpdate {
  versionInfo: string;
  nonce: string;
  /** In the order the server sent them, which is chain order for meshwasm's control plane. */
  filters: XdsFilter[];
}

interface DiscoveryResponse {
  versionInfo?: string;
  resources?: AnyMessage[];
  typeUrl?: string;
  nonce?: string;
}

export class XdsClient extends EventEmitter {
  /** The last update this client ACKed. */
  current: XdsUpdate | undefined;
  private closed = false;
  private stream: grpc.ClientDuplexStream<unknown, DiscoveryResponse> | undefined;
  private client: grpc.Client | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly modules = new Map<string, Uint8Array>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Nonce of the last response handled (ACKed or NACKed): sent again when resubscribing, as Envoy does. */
  private lastNonce = '';
  private readonly backoff: JitteredBackoff;
  /** Streams that broke since the client started (each one triggered a reconnect). */
  reconnects = 0;

  constructor(
    private readonly protos: EnvoyProtos,
    private readonly opts: XdsClientOptions,
  ) {
    super();
    this.backoff = new JitteredBackoff(opts.reconnect);
  }

  /** Opens the stream; resolves once the stream is open (updates arrive as 'update' events). */
  start(): void {
    const Ctor = this.protos.ecdsService;
    // grpc-js backs off its own channel reconnects up to 120 s; cap it at ours so a restarted
    // control plane is reached within one of our backoff periods.
    this.client = new Ctor(this.opts.address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': this.backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': this.backoff.maxMs,
    });
    this.open();
  }

  /** Resolves with the first update this client ACKs (or rejects on close). */
  firstUpdate(): Promise<XdsUpdate> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const onUpdate = (u: XdsUpdate) => {
        this.off('closed', onClose);
        resolve(u);
      };
      const onClose = () => {
        this.off('update', onUpdate);
        reject(new Error(`xds: stream to ${this.opts.address} closed before any update`));
      };
      this.once('update', onUpdate);
      this.once('closed', onClose);
    });
  }

  /** Resolves with the next ACKed update whose predicate holds. */
  waitFor(predicate: (u: XdsUpdate) => boolean): Promise<XdsUpdate> {
    if (this.current && predicate(this.current)) return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const onUpdate = (u: XdsUpdate) => {
        if (predicate(u)) {
          this.off('update', onUpdate);
          resolve(u);
        }
      };
      this.on('update', onUpdate);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.stream?.cancel();
    this.client?.close();
    this.emit('closed');
  }

  private open(): void {
    if (this.closed) return;
    const method = (this.client as unknown as Record<string, () => grpc.ClientDuplexStream<unknown, DiscoveryResponse>>)
      .StreamExtensionConfigs;
    const stream = method.call(this.client);
    this.stream = stream;
    stream.on('data', (resp: DiscoveryResponse) => {
      this.backoff.reset();
      this.queue = this.queue
        .then(() => this.handle(stream, resp))
        .catch((err) => {
          this.emit('error', err);
        });
    });
    // grpc-js ends a call with 'error' (non-OK status) or 'end' + 'status' (OK); it never emits
    // 'close' on the call, so listening for that alone left proxies on a dead stream for good.
    stream.on('error', (err: grpc.ServiceError) => {
      if (this.closed || err.code === grpc.status.CANCELLED) return;
      this.emit('error', new Error(`xds: stream to ${this.opts.address} failed: ${err.details || err.message}`));
      this.broken(stream, err.details || err.message);
    });
    stream.on('status', (st: grpc.StatusObject) => this.broken(stream, st.details || `status ${st.code}`));
    stream.on('end', () => this.broken(stream, 'the server ended the stream'));
    // Resubscribe with what we hold: the last accepted version and the last nonce, as Envoy's
    // GrpcMuxImpl does on a new stream (source/common/config/grpc_mux_impl.cc). The control
    // plane answers a new stream with its full view; until then the proxy keeps its chain.
    stream.write(this.request(this.current?.versionInfo ?? '', this.lastNonce));
  }

  /** Schedules one reconnect per broken stream; the proxy keeps serving its last good chain meanwhile. */
  private broken(stream: grpc.ClientDuplexStream<unknown, DiscoveryResponse>, why: string): void {
    if (this.closed || stream !== this.stream) return;
    this.stream = undefined;
    stream.removeAllListeners('data');
    stream.on('error', () => undefined); // a late error on a stream we dropped is not news
    stream.cancel();
    const delay = this.backoff.next();
    this.reconnects++;
    this.emit('disconnected', { reason: why, retryInMs: delay });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private request(versionInfo: string, nonce: string, errorMessage?: string): object {
    const metadata: Record<string, unknown> = { LABELS: this.opts.labels ?? {} };
    if (this.opts.namespace) metadata.NAMESPACE = this.opts.namespace;
    return {
      versionInfo,
      node: { id: this.opts.nodeId, metadata: toStruct(metadata) },
      resourceNames: this.opts.resourceNames ?? [],
      typeUrl: TYPE_URL_PREFIX + TYPED_EXTENSION_CONFIG,
      responseNonce: nonce,
      ...(errorMessage ? { errorDetail: { code: grpc.status.INVALID_ARGUMENT, message: errorMessage } } : {}),
    };
  }

  private async handle(
    stream: grpc.ClientDuplexStream<unknown, DiscoveryResponse>,
    resp: DiscoveryResponse,
  ): Promise<void> {
    const nonce = resp.nonce ?? '';
    const versionInfo = resp.versionInfo ?? '';
    try {
      const filters: XdsFilter[] = [];
      for (const res of resp.resources ?? []) {
        const f = await this.decode(res);
        if (f) filters.push(f);
      }
      const update: XdsUpdate = { versionInfo, nonce, filters };
      await this.opts.onUpdate?.(update);
      if (this.closed) return;
      // Applied is applied: even if the stream broke meanwhile, this is what the proxy now runs
      // and what it resubscribes with.
      this.current = update;
      this.lastNonce = nonce;
      if (stream === this.stream) stream.write(this.request(versionInfo, nonce));
      this.emit('update', update);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (stream !== this.stream || this.closed) return;
      this.lastNonce = nonce;
      // A NACK carries the last version we accepted, as Envoy's does.
      stream.write(this.request(this.current?.versionInfo ?? '', nonce, message));
      this.emit('nack', { versionInfo, nonce, message });
    }
  }

  private async decode(resource: AnyMessage): Promise<XdsFilter | undefined> {
    const { message: tec } = this.protos.unpackAny<{ name?: string; typedConfig?: AnyMessage }>(resource);
    const name = tec.name ?? '';
    if (!tec.typedConfig) throw new Error(`extension config "${name}" has no typed_config`);
    const { typeName, message } = this.protos.unpackAny<Record<string, any>>(tec.typedConfig);
    const network = (this.opts.chain ?? 'http') === 'network';
    if (typeName === (network ? WASM_HTTP_FILTER : WASM_NETWORK_FILTER)) return undefined;
    if (network && typeName === RBAC_HTTP_FILTER) return undefined;
    if (typeName === RBAC_HTTP_FILTER) {
      const rules = message.rules as { action?: string; policies?: Record<string, unknown> } | undefined;
      // No rules: the filter lets everything through. Rules with no policy match nothing: an
      // ALLOW action then denies every request (Istio's fail-closed fallback).
      const denyAll =
        !!rules && Object.keys(rules.policies ?? {}).length === 0 && (rules.action ?? 'ALLOW') === 'ALLOW';
      return { kind: 'rbac', name, action: denyAll ? 'deny-all' : 'allow-all' };
    }
    if (typeName !== WASM_HTTP_FILTER && typeName !== WASM_NETWORK_FILTER)
      throw new Error(
        `extension config "${name}" has type ${typeName}; this proxy supports ${WASM_HTTP_FILTER}, ${WASM_NETWORK_FILTER} and ${RBAC_HTTP_FILTER}`,
      );
    const config = message.config ?? {};
    const vm = config.vmConfig ?? {};
    const remote = vm.code?.remote;
    if (!remote?.httpUri?.uri)
      throw new Error(
        `extension config "${name}": vm_config.code.remote.http_uri.uri is missing (only remote code is supported)`,
      );
    const uri: string = remote.httpUri.uri;
    const sha256: string = (remote.sha256 ?? '').toLowerCase();
    if (!/^[a-f0-9]{64}$/.test(sha256))
      throw new Error(`extension config "${name}": remote.sha256 "${remote.sha256 ?? ''}" is not a hex sha256`);
    const timeoutMs = remote.httpUri.timeout
      ? Number(remote.httpUri.timeout.seconds ?? 0) * 1000 + Math.floor((remote.httpUri.timeout.nanos ?? 0) / 1e6)
      : 0;
    const module = await this.fetchModule(name, uri, sha256, this.opts.fetchTimeoutMs ?? (timeoutMs || 30_000));
    return {
      kind: 'wasm',
      name,
      uri,
      sha256,
      module,
      rootId: config.rootId ?? '',
      vmId: vm.vmId ?? '',
      configuration: this.configText(config.configuration),
      failOpen: !!config.failOpen,
      env: { ...(vm.environmentVariables?.keyValues ?? {}) },
    };
  }

  private configText(any: AnyMessage | undefined): string {
    if (!any) return '';
    const { typeName, message } = this.protos.unpackAny<{ value?: string }>(any);
    if (typeName === STRING_VALUE) return message.value ?? '';
    throw new Error(`plugin configuration of type ${typeName} is not supported; expected ${STRING_VALUE}`);
  }

  private async fetchModule(name: string, uri: string, sha256: string, timeoutMs: number): Promise<Uint8Array> {
    const cached = this.modules.get(sha256);
    if (cached) return cached;
    let body: Uint8Array;
    try {
      const res = await fetch(uri, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = await readAtMost(res, this.opts.maxModuleBytes ?? 256 << 20);
    } catch (err) {
      throw new Error(`extension config "${name}": cannot fetch module ${uri}: ${(err as Error).message}`);
    }
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256)
      throw new Error(`extension config "${name}": module from ${uri} has sha256 ${actual}, expected ${sha256}`);
    if (body.length < 8 || body[0] !== 0 || body[1] !== 0x61 || body[2] !== 0x73 || body[3] !== 0x6d) {
      throw new Error(`extension config "${name}": ${uri} is not a WebAssembly module (bad magic number)`);
    }
    this.modules.set(sha256, body);
    return body;
  }
}

/** Loads Envoy's protos and opens a subscription. */
export async function connectXds(opts: XdsClientOptions): Promise<XdsClient> {
  const client = new XdsClient(await loadEnvoyProtos(), opts);
  client.start();
  return client;
}
