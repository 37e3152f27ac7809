// The dispatcher: every callback the host may call, the ABI version marker and the allocator.
// It routes each callback to the author's context object (see dispatch.ts).
// A filter makes these module exports with one line in assembly/index.ts:
//     export * from "meshwasm/sdk/exports";
// An HTTP-only filter can export the smaller set in http_exports.ts instead.
import * as host from "./hostcalls";
import { BaseContext, pendingGrpcCalls } from "./context";
import { PeerType } from "./types";
import { formatInt } from "./decimal";
import { contexts, createRootContext, rootOf, streamOf } from "./dispatch";
export {
  proxy_abi_version_0_2_1, proxy_on_memory_allocate,
  proxy_on_vm_start, proxy_on_configure, proxy_on_tick, proxy_on_queue_ready, proxy_on_done, proxy_on_log, proxy_on_delete,
  proxy_on_request_headers, proxy_on_request_body, proxy_on_request_trailers,
  proxy_on_response_headers, proxy_on_response_body, proxy_on_response_trailers,
  proxy_on_http_call_response,
} from "./http_exports";

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  if (parentId == 0) { createRootContext(contextId); return; }
  const root = rootOf(parentId);
  const http = root.createHttpContext(contextId);
  if (http !== null) { contexts.set(contextId, http); return; }
  const stream = root.createStreamContext(contextId);
  if (stream !== null) { contexts.set(contextId, stream); return; }
  abort("root context " + formatInt(parentId) + " made neither an HttpContext nor a StreamContext");
}

export function proxy_on_foreign_function(rootId: u32, functionId: u32, argumentsSize: u32): void {
  rootOf(rootId).onForeignFunction(functionId, argumentsSize);
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

// --- gRPC call responses: routed to the context that made the call ---

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
  // A unary call (odd id) that succeeded gets no onGrpcClose: this is its last callback.
  if ((callId & 1) == 1) pendingGrpcCalls.delete(callId);
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
