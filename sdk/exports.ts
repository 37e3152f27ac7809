// The dispatcher: every callback the host may call, the ABI version marker and the allocator.
// It owns the context maps and routes each callback to the author's context object.
// A filter makes these module exports with one line in assembly/index.ts:
//     export * from "meshwasm/sdk/exports";
import * as host from "./hostcalls";
import { BaseContext, ContextKind, HttpContext, RootContext, RootContextFactory, StreamContext, rootFactories, rootIds } from "./context";
import { PendingCall, pendingGrpcCalls, pendingHttpCalls } from "./calls";
import { allocateForHost, collectAtCallbackEnd, fromUtf8 } from "./memory";
import { PeerType } from "./types";
import { formatInt } from "./decimal";
import { IdTable } from "./id_table";
// Parsed for its abort/trace/seed handlers, which the build routes the runtime to (--use).
import "./runtime";

/** Every live context by id; `kind` says which class it is. */
const contexts = new IdTable();

/** Marker the host reads to pick ABI 0.2.1. Never called. */
export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_memory_allocate(size: usize): usize {
  return allocateForHost(size);
}

// Which factory serves a new root context: the host names the plugin's root_id in the
// `plugin_root_id` property (as the C++ SDK asks); a module with a single registration serves
// every root_id, as the Rust and Go SDKs do.
function factoryFor(rootId: string): RootContextFactory {
  const i = rootIds.indexOf(rootId);
  if (i >= 0) return rootFactories[i];
  if (rootIds.length == 1) return rootFactories[0];
  if (rootIds.length == 0) {
    abort("no root context registered: call registerRootContext(...) at the top level of assembly/index.ts");
  }
  abort("no root context registered for root_id \"" + rootId + "\" (registered: \"" + rootIds.join("\", \"") + "\")");
  return rootFactories[0];
}

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  if (parentId == 0) {
    const idBytes = host.getDottedProperty("plugin_root_id");
    const rootId = idBytes === null ? "" : fromUtf8(idBytes);
    const root = factoryFor(rootId)(contextId);
    root.rootId = rootId;
    contexts.set(contextId, root);
    return;
  }
  const root = rootOf(parentId);
  const http = root.createHttpContext(contextId);
  if (http !== null) { contexts.set(contextId, http); return; }
  const stream = root.createStreamContext(contextId);
  if (stream !== null) { contexts.set(contextId, stream); return; }
  abort("root context " + formatInt(parentId) + " made neither an HttpContext nor a StreamContext");
}

function contextOf(id: u32): BaseContext {
  const c = changetype<BaseContext | null>(contexts.get(id));
  if (c === null) abort("unknown context id " + formatInt(id));
  return changetype<BaseContext>(c);
}

// The kind check makes the unchecked changetype downcasts below safe.
function ofKind(id: u32, kind: ContextKind): BaseContext {
  const c = contextOf(id);
  if (c.kind != kind) abort("context " + formatInt(id) + " is not a " + (kind == ContextKind.Root ? "root" : kind == ContextKind.Http ? "http" : "stream") + " context");
  return c;
}

function rootOf(id: u32): RootContext { return changetype<RootContext>(ofKind(id, ContextKind.Root)); }
function httpOf(id: u32): HttpContext { return changetype<HttpContext>(ofKind(id, ContextKind.Http)); }
function streamOf(id: u32): StreamContext { return changetype<StreamContext>(ofKind(id, ContextKind.Stream)); }

// --- lifecycle ---

export function proxy_on_vm_start(rootId: u32, vmConfigurationSize: u32): u32 {
  return rootOf(rootId).onVmStart(vmConfigurationSize) ? 1 : 0;
}

export function proxy_on_configure(rootId: u32, configurationSize: u32): u32 {
  const ok = rootOf(rootId).onConfigure(configurationSize);
  collectAtCallbackEnd();
  return ok ? 1 : 0;
}

export function proxy_on_tick(rootId: u32): void {
  rootOf(rootId).onTick();
  collectAtCallbackEnd();
}

export function proxy_on_queue_ready(rootId: u32, queueId: u32): void {
  rootOf(rootId).onQueueReady(queueId);
  collectAtCallbackEnd();
}

export function proxy_on_foreign_function(rootId: u32, functionId: u32, argumentsSize: u32): void {
  rootOf(rootId).onForeignFunction(functionId, argumentsSize);
}

export function proxy_on_done(contextId: u32): u32 {
  return contextOf(contextId).onDone() ? 1 : 0;
}

export function proxy_on_log(contextId: u32): void {
  contextOf(contextId).onLog();
}

export function proxy_on_delete(contextId: u32): void {
  // Dropping the last reference lets the collector reclaim the context and what it held.
  const c = changetype<BaseContext | null>(contexts.get(contextId));
  if (c !== null) {
    c.onDelete();
    contexts.delete(contextId);
  }
  collectAtCallbackEnd();
}

// --- HTTP ---

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  return httpOf(contextId).onRequestHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  return httpOf(contextId).onRequestBody(bodySize, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): u32 {
  return httpOf(contextId).onRequestTrailers(numTrailers);
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  return httpOf(contextId).onResponseHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  return httpOf(contextId).onResponseBody(bodySize, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): u32 {
  return httpOf(contextId).onResponseTrailers(numTrailers);
}

// --- TCP ---

export function proxy_on_new_connection(contextId: u32): u32 {
  return streamOf(contextId).onNewConnection();
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  return streamOf(contextId).onDownstreamData(dataSize, endOfStream != 0);
}

export function proxy_on_downstream_connection_close(contextId: u32, peer: u32): void {
  streamOf(contextId).onDownstreamConnectionClose(<PeerType>peer);
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  return streamOf(contextId).onUpstreamData(dataSize, endOfStream != 0);
}

export function proxy_on_upstream_connection_close(contextId: u32, peer: u32): void {
  streamOf(contextId).onUpstreamConnectionClose(<PeerType>peer);
}

// --- http and gRPC call responses: routed to the context that made the call ---

export function proxy_on_http_call_response(rootId: u32, callId: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  const pending = changetype<PendingCall | null>(pendingHttpCalls.get(callId));
  if (pending === null) return; // e.g. its context was deleted meanwhile
  pendingHttpCalls.delete(callId);
  host.setEffectiveContext(pending.origin.id);
  const cb = pending.callback;
  if (cb !== null) cb(pending.origin, callId, numHeaders, bodySize, numTrailers);
  else pending.origin.onHttpCallResponse(callId, numHeaders, bodySize, numTrailers);
  collectAtCallbackEnd();
}

function grpcOrigin(callId: u32): BaseContext | null {
  const origin = changetype<BaseContext | null>(pendingGrpcCalls.get(callId));
  if (origin === null) return null;
  host.setEffectiveContext(origin.id);
  return origin;
}

export function proxy_on_grpc_receive_initial_metadata(rootId: u32, callId: u32, numElements: u32): void {
  const o = grpcOrigin(callId);
  if (o !== null) o.onGrpcReceiveInitialMetadata(callId, numElements);
}

export function proxy_on_grpc_receive(rootId: u32, callId: u32, messageSize: u32): void {
  const o = grpcOrigin(callId);
  if (o !== null) o.onGrpcReceive(callId, messageSize);
}

export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, callId: u32, numElements: u32): void {
  const o = grpcOrigin(callId);
  if (o !== null) o.onGrpcReceiveTrailingMetadata(callId, numElements);
}

export function proxy_on_grpc_close(rootId: u32, callId: u32, statusCode: u32): void {
  const o = grpcOrigin(callId);
  pendingGrpcCalls.delete(callId);
  if (o !== null) o.onGrpcClose(callId, statusCode);
}
