import type { AbiVersion, BufferType, LogLevelName, MapType, StreamType, WasmResult } from './abi/constants.js';
import type { GuestMemory, HeaderPairs } from './abi/memory.js';
import type { VirtualClock } from './clock.js';
import type { MetricStore } from './stores/metrics.js';
import type { SharedDataStore } from './stores/shared-data.js';
import type { SharedQueueStore } from './stores/shared-queues.js';

/*
 * What a host function acts on, and nothing more. The host calls (hostcalls/*, module/wasi.ts)
 * depend only on these interfaces; vm.ts, plugin.ts and host.ts implement them and wire the host
 * calls together, so imports point one way: vm -> hostcalls -> context.
 */

export interface LocalResponse {
  status: number;
  body: Uint8Array;
  headers: HeaderPairs;
  grpcStatus: number;
  details: string;
}

export interface HttpCallResponse {
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
}

export interface HttpCallRequest {
  cluster: string;
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
  timeoutMs: number;
}

/** A property declared through the declare_property foreign function (Envoy's CelStatePrototype). */
export interface PropertyDeclaration {
  name: string;
  readonly: boolean;
  /** WasmType: 0 bytes, 1 string, 2 flatbuffers, 3 protobuf. */
  type: number;
  /** LifeSpan: 0 filter chain, 1 downstream request, 2 downstream connection. */
  span: number;
}

/** proxy_grpc_call / proxy_grpc_stream, as read from guest memory. */
export interface GrpcStart {
  kind: 'unary' | 'stream';
  /** A serialized GrpcService, or a cluster name. */
  service: Uint8Array;
  serviceName: string;
  method: string;
  initialMetadata: HeaderPairs;
  /** unary only */
  message?: Uint8Array;
  /** unary only; 0: none */
  timeoutMs: number;
}

/** A root context's gRPC callouts (grpc-callouts.ts). */
export interface GrpcCallouts {
  start(req: GrpcStart): { result: WasmResult; token?: number };
  send(token: number, message: Uint8Array, endStream: boolean): WasmResult;
  close(token: number): WasmResult;
  cancel(token: number): WasmResult;
  /** The GrpcReceive* maps and buffer while a gRPC callback runs (readable from any context). */
  getMap(type: MapType): HeaderPairs | undefined;
  getBuffer(type: BufferType): Uint8Array | undefined;
}

/** What a host call asks of the root context (plugin) a context belongs to. */
export interface RootContextCalls {
  readonly name: string;
  /** proxy_get_status: set while a failed http call is delivered (BrokenConnection, "reset"). */
  readonly status: { code: number; message: string };
  /** gRPC callouts belong to the root context, as in Envoy. */
  readonly grpc: GrpcCallouts;
  startHttpCall(ctx: ProxyContext, req: HttpCallRequest): number;
  setTickPeriod(ms: number): void;
  done(ctx: ProxyContext): WasmResult;
  notifyQueueReady(queueId: number): void;
  /** A declaration made on the root context, which proxy_set_property honours. */
  declaredProperty(name: string): PropertyDeclaration | undefined;
}

/**
 * What a host function needs from the context it runs in: a root context (the plugin) or a
 * stream context (one HTTP request). Which maps and buffers exist depends on the phase, as in
 * Envoy: a missing one reads as empty and refuses writes.
 */
export interface ProxyContext {
  readonly id: number;
  readonly plugin: RootContextCalls;
  readonly kind: 'root' | 'stream';
  getMap(type: MapType): HeaderPairs | undefined;
  getBuffer(type: BufferType): Uint8Array | undefined;
  setBuffer(type: BufferType, start: number, length: number, data: Uint8Array): WasmResult;
  getProperty(path: string[]): Uint8Array | undefined;
  setProperty(path: string, value: Uint8Array): WasmResult;
  sendLocalResponse(response: LocalResponse): WasmResult;
  continueStream(type: StreamType): WasmResult;
  closeStream(type: StreamType): WasmResult;
  /** declare_property: BadArgument when the name is already declared on this context. */
  declareProperty(decl: PropertyDeclaration): WasmResult;
  /** set_envoy_filter_state: NotFound without a stream. */
  setEnvoyFilterState(key: string, value: Uint8Array): WasmResult;
  clearRouteCache(): void;
  /** The VM failed in a call made for this context outside its stream callbacks (a callout response). */
  vmFailed?(): void;
}

/** The proxy-wide services host calls reach: stats, shared data, queues, clock, clusters, log. */
export interface HostServices {
  readonly clock: VirtualClock;
  readonly metrics: MetricStore;
  readonly sharedData: SharedDataStore;
  readonly queues: SharedQueueStore;
  hasCluster(name: string): boolean;
  log(vm: VmScope, level: LogLevelName, message: string): void;
}

/** The VM as a host call sees it: guest memory, the effective context, the VM's identity. */
export interface VmScope {
  readonly mem: GuestMemory;
  readonly host: HostServices;
  readonly vmId: string;
  readonly label: string;
  readonly env: Record<string, string>;
  readonly abiVersion: AbiVersion;
  readonly logLevel: number;
  /** The context host functions act on (proxy_set_effective_context can change it). */
  current: ProxyContext | undefined;
  readonly contexts: Map<number, ProxyContext>;
}
