// What filter authors extend. Every callback has a default that does nothing (or continues), so a
// filter overrides only what it needs. Shaped after proxy-wasm-rust-sdk's traits.rs.
import * as host from "./hostcalls";
import { IdTable } from "./id_table";
import { Headers, HeaderPair } from "./headers";
import { JsonValue, jsonError, parseJson } from "./json";
import { pluginConfiguration, vmConfiguration } from "./buffers";
import { Action, LogLevel, PeerType, Status, StreamType } from "./types";
import { utf8 } from "./memory";
import { GrpcCall, GrpcStream, pendingGrpcCalls } from "./grpc";

// Outstanding http/gRPC calls: which context made each one and what to call back, so the
// dispatcher can route proxy_on_http_call_response / proxy_on_grpc_* to their origin.
/** A call-back for an http call: the context that made the call, the call id, and the counts
 * the host reported (numHeaders 0 means the call failed or timed out). */
export type HttpCallCallback = (origin: BaseContext, callId: u32, numHeaders: u32, bodySize: u32, numTrailers: u32) => void;

export class PendingCall {
  constructor(public origin: BaseContext, public callback: HttpCallCallback | null) {}
}

/** PendingCall by call id. */
export const pendingHttpCalls = new IdTable();
export { pendingGrpcCalls } from "./grpc";

/** Which subclass a context is, so the dispatcher keeps one map (one Map instantiation less code). */
export enum ContextKind { Root = 0, Http = 1, Stream = 2 }

export class BaseContext {
  kind: ContextKind = ContextKind.Root;
  constructor(public readonly id: u32) {}

  /** The host is done with this context; return false to finish later with done(). */
  onDone(): bool { return true; }
  /** Last look at the request/response (headers are readable) before the context goes away. */
  onLog(): void {}
  /** The context is deleted: drop any state kept for it. */
  onDelete(): void {}

  /** Response of an http call made by this context without a callback function. */
  onHttpCallResponse(callId: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  onGrpcReceiveInitialMetadata(callId: u32, numElements: u32): void {}
  onGrpcReceive(callId: u32, messageSize: u32): void {}
  onGrpcReceiveTrailingMetadata(callId: u32, numElements: u32): void {}
  onGrpcClose(callId: u32, statusCode: u32): void {}

  /**
   * Sends an http request to an upstream cluster. The response arrives in `callback` (if given)
   * or in onHttpCallResponse of this context. Returns the call id, 0 when the host refused the
   * call (unknown cluster, missing :method/:path/:authority): see hostcalls.lastCallStatus.
   */
  httpCall(cluster: string, headers: Headers, body: ArrayBuffer | null = null, trailers: Headers | null = null,
    timeoutMs: u32 = 5000, callback: HttpCallCallback | null = null): u32 {
    const callId = host.httpCall(cluster, headers, body !== null ? body : new ArrayBuffer(0),
      trailers !== null ? trailers : new Array<HeaderPair>(), timeoutMs);
    if (callId != 0) pendingHttpCalls.set(callId, new PendingCall(this, callback));
    return callId;
  }

  /**
   * A unary gRPC call to `cluster` (a cluster name, or a serialized GrpcService as bytes in
   * UTF-8-safe form). Exactly one callback of this context follows: onGrpcReceive (read the
   * answer from grpcCallMessage) on success, onGrpcClose(callId, status) on failure.
   * null when the host refused it: see hostcalls.lastCallStatus.
   */
  grpcCall(cluster: string, service: string, method: string, message: ArrayBuffer,
    metadata: Headers | null = null, timeoutMs: u32 = 5000): GrpcCall | null {
    const callId = host.grpcCall(cluster, service, method, metadata !== null ? metadata : new Array<HeaderPair>(), message, timeoutMs);
    if (callId == 0) return null;
    pendingGrpcCalls.set(callId, this);
    return new GrpcCall(callId);
  }

  /**
   * A gRPC stream: send with stream.send(), half-close with stream.close(). This context's
   * onGrpcReceiveInitialMetadata, onGrpcReceive (per message), onGrpcReceiveTrailingMetadata and
   * onGrpcClose follow. null when the host refused it.
   */
  grpcStream(cluster: string, service: string, method: string, metadata: Headers | null = null): GrpcStream | null {
    const streamId = host.grpcStream(cluster, service, method, metadata !== null ? metadata : new Array<HeaderPair>());
    if (streamId == 0) return null;
    pendingGrpcCalls.set(streamId, this);
    return new GrpcStream(streamId);
  }

  /** Finishes a context whose onDone returned false. */
  done(): Status {
    host.setEffectiveContext(this.id);
    return host.done();
  }
}

/** Per-plugin context: configuration, timers, queues. One per root_id. */
export class RootContext extends BaseContext {
  /** The root_id this context was created for ("" when the host gave none). */
  rootId: string = "";

  /** The VM started; its configuration is in getVmConfig(). Return false to fail the start. */
  onVmStart(vmConfigurationSize: u32): bool { return true; }
  /** The plugin is (re)configured; read getPluginConfig(). Return false to reject the config. */
  onConfigure(configurationSize: u32): bool { return true; }
  /** Called every tick period (see setTickPeriod). */
  onTick(): void {}
  /** An item was enqueued on a shared queue this VM registered. */
  onQueueReady(queueId: u32): void {}
  onForeignFunction(functionId: u32, argumentsSize: u32): void {}

  /** Makes the per-request context; the default passes requests through untouched. */
  createHttpContext(contextId: u32): HttpContext | null { return new HttpContext(contextId, this); }
  /** Makes the per-connection context of a TCP filter; return it and null from createHttpContext. */
  createStreamContext(contextId: u32): StreamContext | null { return null; }

  getPluginConfig(): string { return pluginConfiguration.text(); }
  getPluginConfigBytes(): ArrayBuffer { return pluginConfiguration.bytes(); }
  /** The plugin configuration parsed as JSON; null (and an error log) when it is not JSON. */
  getPluginConfigJson(): JsonValue | null {
    const text = this.getPluginConfig();
    const v = parseJson(text.length == 0 ? "{}" : text);
    if (v === null) host.log(LogLevel.Error, "plugin configuration is not valid JSON: " + jsonError);
    return v;
  }
  getVmConfig(): string { return vmConfiguration.text(); }

  setTickPeriod(ms: u32): Status { return host.setTickPeriodMilliseconds(ms); }
}

/** Per-request context of an HTTP filter. Callbacks answer Action.Continue or Action.Pause. */
export class HttpContext extends BaseContext {
  constructor(id: u32, public root: RootContext) { super(id); this.kind = ContextKind.Http; }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action { return Action.Continue; }
  onRequestBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  onRequestTrailers(numTrailers: u32): Action { return Action.Continue; }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action { return Action.Continue; }
  onResponseBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  onResponseTrailers(numTrailers: u32): Action { return Action.Continue; }

  /** Resumes a request paused by returning Action.Pause (e.g. after an http call answered). */
  continueRequest(): Status { host.setEffectiveContext(this.id); return host.continueStream(StreamType.HttpRequest); }
  continueResponse(): Status { host.setEffectiveContext(this.id); return host.continueStream(StreamType.HttpResponse); }
  closeRequest(): Status { host.setEffectiveContext(this.id); return host.closeStream(StreamType.HttpRequest); }
  closeResponse(): Status { host.setEffectiveContext(this.id); return host.closeStream(StreamType.HttpResponse); }

  /** Answers the client directly; the request does not reach the upstream. */
  sendLocalResponse(statusCode: u32, body: string = "", headers: Headers | null = null,
    details: string = "", grpcStatus: i32 = -1): Status {
    host.setEffectiveContext(this.id);
    return host.sendLocalResponse(statusCode, details, utf8(body),
      headers !== null ? headers : new Array<HeaderPair>(), grpcStatus);
  }

  sendLocalResponseBytes(statusCode: u32, body: ArrayBuffer, headers: Headers | null = null,
    details: string = "", grpcStatus: i32 = -1): Status {
    host.setEffectiveContext(this.id);
    return host.sendLocalResponse(statusCode, details, body, headers !== null ? headers : new Array<HeaderPair>(), grpcStatus);
  }
}

/** Per-connection context of a TCP (network) filter. */
export class StreamContext extends BaseContext {
  constructor(id: u32, public root: RootContext) { super(id); this.kind = ContextKind.Stream; }

  onNewConnection(): Action { return Action.Continue; }
  onDownstreamData(dataSize: u32, endOfStream: bool): Action { return Action.Continue; }
  onDownstreamConnectionClose(peer: PeerType): void {}
  onUpstreamData(dataSize: u32, endOfStream: bool): Action { return Action.Continue; }
  onUpstreamConnectionClose(peer: PeerType): void {}

  continueDownstream(): Status { host.setEffectiveContext(this.id); return host.continueStream(StreamType.Downstream); }
  continueUpstream(): Status { host.setEffectiveContext(this.id); return host.continueStream(StreamType.Upstream); }
  closeDownstream(): Status { host.setEffectiveContext(this.id); return host.closeStream(StreamType.Downstream); }
  closeUpstream(): Status { host.setEffectiveContext(this.id); return host.closeStream(StreamType.Upstream); }
}

/** Makes a root context; a plain top-level function or arrow without captures. */
export type RootContextFactory = (contextId: u32) => RootContext;

// Parallel arrays, not a Map<string, ...>: a module registers one or two root contexts, and a
// Map instantiation for this one lookup costs every filter about 1 KB of code.
export const rootIds = new Array<string>();
export const rootFactories = new Array<RootContextFactory>();

/**
 * Registers the root context class for a root_id (the `root_id` of the plugin in Envoy's config,
 * `""` when unset). Call at the top level of assembly/index.ts.
 */
export function registerRootContext(factory: RootContextFactory, rootId: string = ""): void {
  const i = rootIds.indexOf(rootId);
  if (i >= 0) { rootFactories[i] = factory; return; }
  rootIds.push(rootId);
  rootFactories.push(factory);
}
