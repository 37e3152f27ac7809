// One safe wrapper per host function: strings in, typed values out, the return slots handled.
// Getters return null for NotFound (and Empty); any other failure of a getter is a misuse of the
// ABI (wrong callback, unknown id) and aborts with the call's name and status, as the Rust SDK
// panics. Mutating calls return the Status for the caller to decide.
import * as imports from "./imports";
import { BufferType, LogLevel, MapType, MetricType, Status, StreamType, statusName } from "./types";
import { HeaderPair, Headers, deserializeHeaders, serializeHeaders } from "./headers";
import { headerValue, removeHeaderValue, replaceHeaderValue } from "./header_value";
import { RET_EXTRA, RET_PTR, RET_SIZE, clearReturnSlots, lenOf, ptrOf, takeReturnedBuffer, takeReturnedString, fromUtf8, utf8 } from "./memory";
import { stage, staged, stagedLen } from "./host_strings";

import { callFailed as fail } from "./call_failed";

// --- logging ---

export function log(level: LogLevel, message: string): void {
  stage(message, "");
  imports.proxy_log(level, staged, stagedLen);
}

export function logUtf8(level: LogLevel, data: usize, length: usize): void {
  imports.proxy_log(level, data, length);
}

export function getLogLevel(): LogLevel {
  store<u32>(RET_SIZE, 0);
  imports.proxy_get_log_level(RET_SIZE);
  return <LogLevel>load<u32>(RET_SIZE);
}

// --- clocks and timers ---

export function getCurrentTimeNanoseconds(): u64 {
  store<u64>(RET_EXTRA, 0);
  const st = imports.proxy_get_current_time_nanoseconds(RET_EXTRA);
  if (st != Status.Ok) fail("proxy_get_current_time_nanoseconds", st);
  return load<u64>(RET_EXTRA);
}

export function setTickPeriodMilliseconds(ms: u32): Status {
  return <Status>imports.proxy_set_tick_period_milliseconds(ms);
}

// --- context lifecycle ---

export function done(): Status {
  return <Status>imports.proxy_done();
}

export function setEffectiveContext(contextId: u32): Status {
  return <Status>imports.proxy_set_effective_context(contextId);
}

// --- buffers ---

export function getBufferStatus(type: BufferType): i64 {
  store<u64>(RET_SIZE, 0);
  store<u64>(RET_EXTRA, 0);
  const st = imports.proxy_get_buffer_status(type, RET_SIZE, RET_EXTRA);
  if (st == Status.NotFound) return -1;
  if (st != Status.Ok) fail("proxy_get_buffer_status", st);
  return <i64>load<u32>(RET_SIZE);
}

export function getBufferBytes(type: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  clearReturnSlots();
  const st = imports.proxy_get_buffer_bytes(type, start, maxSize, RET_PTR, RET_SIZE);
  if (st == Status.NotFound || st == Status.Empty) return null;
  if (st != Status.Ok) fail("proxy_get_buffer_bytes", st);
  return takeReturnedBuffer();
}

export function setBufferBytes(type: BufferType, start: u32, size: u32, value: ArrayBuffer): Status {
  return <Status>imports.proxy_set_buffer_bytes(type, start, size, ptrOf(value), lenOf(value));
}

// --- header maps ---

export function getHeaderMapPairs(map: MapType): Headers {
  clearReturnSlots();
  const st = imports.proxy_get_header_map_pairs(map, RET_PTR, RET_SIZE);
  if (st == Status.NotFound) return new Array<HeaderPair>();
  if (st != Status.Ok) fail("proxy_get_header_map_pairs", st);
  return deserializeHeaders(takeReturnedBuffer());
}

export function setHeaderMapPairs(map: MapType, headers: Headers): Status {
  const buf = serializeHeaders(headers);
  return <Status>imports.proxy_set_header_map_pairs(map, ptrOf(buf), lenOf(buf));
}

export function getHeaderMapSize(map: MapType): u32 {
  store<u64>(RET_SIZE, 0);
  const st = imports.proxy_get_header_map_size(map, RET_SIZE);
  if (st != Status.Ok) return 0;
  return load<u32>(RET_SIZE);
}

// The per-request calls live in header_value.ts (no temporary buffers); these names stay for callers.
export function getHeaderMapValue(map: MapType, key: string): string | null {
  return headerValue(map, key);
}

export function addHeaderMapValue(map: MapType, key: string, value: string): Status {
  const valueLen = stage(key, value);
  return <Status>imports.proxy_add_header_map_value(map, staged, stagedLen, staged + stagedLen, valueLen);
}

export function replaceHeaderMapValue(map: MapType, key: string, value: string): Status {
  return replaceHeaderValue(map, key, value);
}

export function removeHeaderMapValue(map: MapType, key: string): Status {
  return removeHeaderValue(map, key);
}

// --- streams ---

export function continueStream(stream: StreamType): Status {
  return <Status>imports.proxy_continue_stream(stream);
}

export function closeStream(stream: StreamType): Status {
  return <Status>imports.proxy_close_stream(stream);
}

/** grpcStatus -1 means "not a gRPC reply". */
export function sendLocalResponse(statusCode: u32, details: string, body: ArrayBuffer, headers: Headers, grpcStatus: i32): Status {
  const d = utf8(details);
  const h = serializeHeaders(headers);
  return <Status>imports.proxy_send_local_response(statusCode, ptrOf(d), lenOf(d), ptrOf(body), lenOf(body), ptrOf(h), lenOf(h), grpcStatus);
}

/** Status code and message of the http/grpc call whose callback is running. */
export class CallStatus {
  constructor(public code: u32, public message: string) {}
}

export function getStatus(): CallStatus {
  clearReturnSlots();
  const st = imports.proxy_get_status(RET_EXTRA, RET_PTR, RET_SIZE);
  if (st != Status.Ok) return new CallStatus(0, "");
  const code = load<u32>(RET_EXTRA);
  return new CallStatus(code, takeReturnedString());
}

// --- http and gRPC calls ---

/** The call id, or 0 when the host refused the call (see lastCallStatus). */
export let lastCallStatus: Status = Status.Ok;

export function httpCall(upstream: string, headers: Headers, body: ArrayBuffer, trailers: Headers, timeoutMs: u32): u32 {
  const u = utf8(upstream);
  const h = serializeHeaders(headers);
  const t = serializeHeaders(trailers);
  store<u32>(RET_EXTRA, 0);
  const st = imports.proxy_http_call(ptrOf(u), lenOf(u), ptrOf(h), lenOf(h), ptrOf(body), lenOf(body), ptrOf(t), lenOf(t), timeoutMs, RET_EXTRA);
  lastCallStatus = <Status>st;
  return st == Status.Ok ? load<u32>(RET_EXTRA) : 0;
}

export function grpcCall(upstream: string, service: string, method: string, metadata: Headers, message: ArrayBuffer, timeoutMs: u32): u32 {
  const u = utf8(upstream);
  const s = utf8(service);
  const m = utf8(method);
  const md = serializeHeaders(metadata);
  store<u32>(RET_EXTRA, 0);
  const st = imports.proxy_grpc_call(ptrOf(u), lenOf(u), ptrOf(s), lenOf(s), ptrOf(m), lenOf(m), ptrOf(md), lenOf(md), ptrOf(message), lenOf(message), timeoutMs, RET_EXTRA);
  lastCallStatus = <Status>st;
  return st == Status.Ok ? load<u32>(RET_EXTRA) : 0;
}

export function grpcStream(upstream: string, service: string, method: string, metadata: Headers): u32 {
  const u = utf8(upstream);
  const s = utf8(service);
  const m = utf8(method);
  const md = serializeHeaders(metadata);
  store<u32>(RET_EXTRA, 0);
  const st = imports.proxy_grpc_stream(ptrOf(u), lenOf(u), ptrOf(s), lenOf(s), ptrOf(m), lenOf(m), ptrOf(md), lenOf(md), RET_EXTRA);
  lastCallStatus = <Status>st;
  return st == Status.Ok ? load<u32>(RET_EXTRA) : 0;
}

export function grpcSend(streamId: u32, message: ArrayBuffer, endStream: bool): Status {
  return <Status>imports.proxy_grpc_send(streamId, ptrOf(message), lenOf(message), endStream ? 1 : 0);
}

export function grpcCancel(callId: u32): Status {
  return <Status>imports.proxy_grpc_cancel(callId);
}

export function grpcClose(callId: u32): Status {
  return <Status>imports.proxy_grpc_close(callId);
}

// --- shared data ---

export class SharedData {
  constructor(public value: ArrayBuffer, public cas: u32) {}
}

export function getSharedData(key: string): SharedData | null {
  stage(key, "");
  clearReturnSlots();
  const st = imports.proxy_get_shared_data(staged, stagedLen, RET_PTR, RET_SIZE, RET_EXTRA);
  if (st == Status.NotFound) return null;
  if (st != Status.Ok) fail("proxy_get_shared_data", st);
  const cas = load<u32>(RET_EXTRA);
  return new SharedData(takeReturnedBuffer(), cas);
}

/** cas 0 writes unconditionally; otherwise CasMismatch when someone wrote since the read. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32): Status {
  stage(key, "");
  return <Status>imports.proxy_set_shared_data(staged, stagedLen, ptrOf(value), lenOf(value), cas);
}

// --- shared queues ---

export function registerSharedQueue(name: string): u32 {
  stage(name, "");
  store<u32>(RET_EXTRA, 0);
  const st = imports.proxy_register_shared_queue(staged, stagedLen, RET_EXTRA);
  if (st != Status.Ok) fail("proxy_register_shared_queue", st);
  return load<u32>(RET_EXTRA);
}

/** 0 when no such queue exists. */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const nameLen = stage(vmId, name);
  store<u32>(RET_EXTRA, 0);
  const st = imports.proxy_resolve_shared_queue(staged, stagedLen, staged + stagedLen, nameLen, RET_EXTRA);
  if (st == Status.NotFound) return 0;
  if (st != Status.Ok) fail("proxy_resolve_shared_queue", st);
  return load<u32>(RET_EXTRA);
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): Status {
  return <Status>imports.proxy_enqueue_shared_queue(queueId, ptrOf(value), lenOf(value));
}

/** null when the queue is empty (or unknown). */
export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  clearReturnSlots();
  const st = imports.proxy_dequeue_shared_queue(queueId, RET_PTR, RET_SIZE);
  if (st == Status.Empty || st == Status.NotFound) return null;
  if (st != Status.Ok) fail("proxy_dequeue_shared_queue", st);
  return takeReturnedBuffer();
}

// --- metrics ---

export function defineMetric(type: MetricType, name: string): u32 {
  stage(name, "");
  store<u32>(RET_EXTRA, 0);
  const st = imports.proxy_define_metric(type, staged, stagedLen, RET_EXTRA);
  if (st != Status.Ok) fail("proxy_define_metric(" + name + ")", st);
  return load<u32>(RET_EXTRA);
}

export function incrementMetric(id: u32, offset: i64): Status {
  return <Status>imports.proxy_increment_metric(id, offset);
}

export function recordMetric(id: u32, value: u64): Status {
  return <Status>imports.proxy_record_metric(id, value);
}

export function getMetric(id: u32): u64 {
  store<u64>(RET_EXTRA, 0);
  const st = imports.proxy_get_metric(id, RET_EXTRA);
  if (st != Status.Ok) fail("proxy_get_metric", st);
  return load<u64>(RET_EXTRA);
}

// --- properties ---

function joinSegments(path: Array<string>, separator: string): string {
  let joined = "";
  for (let i = 0; i < path.length; i++) {
    if (i > 0) joined += separator;
    joined += unchecked(path[i]);
  }
  return joined;
}

/** Path segments are sent NUL-separated. */
export function serializePropertyPath(path: Array<string>): ArrayBuffer {
  return utf8(joinSegments(path, "\0"));
}

/**
 * The serialized form of a dot-separated path ("request.path"): its UTF-8 with each "." made a
 * NUL, the same bytes as splitting at the dots and serializing the segments (no byte of a
 * multi-byte UTF-8 character is a "."), without the split.
 */
export function serializeDottedPropertyPath(path: string): ArrayBuffer {
  const bytes = utf8(path);
  const start = changetype<usize>(bytes);
  const end = start + <usize>bytes.byteLength;
  for (let at = start; at < end; at++) if (load<u8>(at) == 0x2e) store<u8>(at, 0);
  return bytes;
}

/** A property by its segments (["metadata", "filter_metadata", "envoy.lb"]); null when absent. */
export function getProperty(path: Array<string>): ArrayBuffer | null {
  return readProperty(serializePropertyPath(path), path, "");
}

/** A property by its dot-separated path ("request.path"); null when absent. */
export function getDottedProperty(path: string): ArrayBuffer | null {
  return readProperty(serializeDottedPropertyPath(path), null, path);
}

/** `segments`, or else `dotted`, only names the property in the abort message. */
function readProperty(serialized: ArrayBuffer, segments: Array<string> | null, dotted: string): ArrayBuffer | null {
  clearReturnSlots();
  const st = imports.proxy_get_property(ptrOf(serialized), lenOf(serialized), RET_PTR, RET_SIZE);
  if (st == Status.NotFound) return null;
  if (st != Status.Ok) fail("proxy_get_property(" + (segments !== null ? joinSegments(segments, ".") : dotted) + ")", st);
  return takeReturnedBuffer();
}

export function setProperty(path: Array<string>, value: ArrayBuffer): Status {
  return writeProperty(serializePropertyPath(path), value);
}

export function setDottedProperty(path: string, value: ArrayBuffer): Status {
  return writeProperty(serializeDottedPropertyPath(path), value);
}

function writeProperty(serialized: ArrayBuffer, value: ArrayBuffer): Status {
  return <Status>imports.proxy_set_property(ptrOf(serialized), lenOf(serialized), ptrOf(value), lenOf(value));
}

// --- foreign functions ---

export function callForeignFunction(name: string, args: ArrayBuffer): ArrayBuffer | null {
  stage(name, "");
  clearReturnSlots();
  const st = imports.proxy_call_foreign_function(staged, stagedLen, ptrOf(args), lenOf(args), RET_PTR, RET_SIZE);
  if (st != Status.Ok) return null;
  return takeReturnedBuffer();
}
