// The callbacks of an HTTP filter: lifecycle, timers and queues, the six HTTP stream callbacks
// and http_call responses, plus the ABI marker and the allocator. A filter that only handles
// HTTP exports these instead of "meshwasm/sdk/exports" and leaves out the TCP, gRPC-call and
// foreign-function callbacks it never receives, about 0.4 KB of module:
//     export * from "meshwasm/sdk/http_exports";
// Proxies skip callbacks a module does not export. A root context that makes a StreamContext
// (TCP) needs the full set, and says so when it is created.
import * as host from "./hostcalls";
import { BaseContext, PendingCall, pendingHttpCalls } from "./context";
import { allocateForHost, collectAtCallbackEnd } from "./memory";
import { formatInt } from "./decimal";
import { contexts, contextOf, createRootContext, httpOf, rootOf } from "./dispatch";
import { Status } from "./types";
// Parsed for its abort/trace/seed handlers, which the build routes the runtime to (--use).
import "./runtime";

/** Marker the host reads to pick ABI 0.2.1. Never called. */
export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_memory_allocate(size: usize): usize {
  return allocateForHost(size);
}

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  if (parentId == 0) { createRootContext(contextId); return; }
  const http = rootOf(parentId).createHttpContext(contextId);
  if (http === null) abort("root context " + formatInt(parentId) + " made no HttpContext; a StreamContext (TCP) needs `export * from \"meshwasm/sdk/exports\"` instead of meshwasm/sdk/http_exports");
  contexts.set(contextId, changetype<BaseContext>(http));
}

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

// --- http call responses: routed to the context that made the call ---

// Envoy delivers every http call response to the ROOT context (the call belongs to the plugin,
// proxy-wasm-cpp-host src/exports.cc http_call), so the SDK finds the originating stream by call
// id, as the Rust SDK's dispatcher does, and makes it the effective context before calling it.
export function proxy_on_http_call_response(rootId: u32, callId: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  const pending = changetype<PendingCall | null>(pendingHttpCalls.get(callId));
  if (pending === null) return; // not ours (another SDK layer) or already answered
  pendingHttpCalls.delete(callId);
  // The stream may have ended while the call was out (Envoy does not cancel root-owned calls).
  if (contexts.get(pending.origin.id) === null) return;
  if (host.setEffectiveContext(pending.origin.id) != Status.Ok) return;
  const cb = pending.callback;
  if (cb !== null) cb(pending.origin, callId, numHeaders, bodySize, numTrailers);
  else pending.origin.onHttpCallResponse(callId, numHeaders, bodySize, numTrailers);
  collectAtCallbackEnd();
}

