// Memory shared with the host: the return slots host functions write into, and the buffers the
// host fills after calling proxy_on_memory_allocate.

import { stage, staged, stagedLen } from "./host_strings";

// Static slots (not heap): a host call that returns a pointer+size must not allocate to do so.
export const RET_PTR: usize = memory.data(8);
export const RET_SIZE: usize = memory.data(8);
export const RET_EXTRA: usize = memory.data(8);

/** Called by the host (through proxy_on_memory_allocate) to hand data to the module. */
export function allocateForHost(size: usize): usize {
  hostBytesSinceCollect += size;
  // Unmanaged TLSF memory: the SDK copies or decodes it and frees it at once, so nothing the host
  // hands us outlives the call that asked for it.
  return heap.alloc(size > 0 ? size : 1);
}

/** Copies the buffer the host returned through RET_PTR/RET_SIZE and frees the host's copy. */
export function takeReturnedBuffer(): ArrayBuffer {
  const ptr = load<usize>(RET_PTR);
  const size = load<u32>(RET_SIZE);
  const out = new ArrayBuffer(<i32>size);
  if (ptr != 0) {
    if (size > 0) memory.copy(changetype<usize>(out), ptr, size);
    heap.free(ptr);
  }
  return out;
}

/** The string the host returned through RET_PTR/RET_SIZE, decoded straight from the host's copy, which is then freed. */
export function takeReturnedString(): string {
  const ptr = load<usize>(RET_PTR);
  if (ptr == 0) return "";
  const out = String.UTF8.decodeUnsafe(ptr, load<u32>(RET_SIZE), false);
  heap.free(ptr);
  return out;
}

/** Clears the slots before a call so a host that writes nothing is read as empty. */
export function clearReturnSlots(): void {
  store<u64>(RET_PTR, 0);
  store<u64>(RET_SIZE, 0);
  store<u64>(RET_EXTRA, 0);
}

// Every argument spelled out: a call that leaves defaults to the standard library goes through
// its @varargs trampoline. The SDK converts only through these two.
export function utf8(s: string): ArrayBuffer {
  // Encoded where host calls stage their strings, then copied: a module whose own code never
  // measures UTF-8 lengths then carries no String.UTF8.byteLength/encode.
  stage(s, "");
  const out = new ArrayBuffer(<i32>stagedLen);
  memory.copy(changetype<usize>(out), staged, stagedLen);
  return out;
}

export function fromUtf8(buf: ArrayBuffer): string {
  return String.UTF8.decode(buf, false);
}

export function ptrOf(buf: ArrayBuffer): usize {
  return changetype<usize>(buf);
}

export function lenOf(buf: ArrayBuffer): usize {
  return <usize>buf.byteLength;
}

/**
 * The minimal runtime (what meshwasm builds use: half the size of the incremental one) never
 * collects on its own. The dispatcher calls this as the last step of callbacks that end a unit of
 * work (a deleted context, a tick, a call response): the host is the only caller on the stack
 * then, so every live object is reachable from globals and a full collection is safe.
 * A full collection per request would cost about as much as the rest of a small filter's work,
 * so it runs every COLLECT_EVERY units, or sooner when the host handed over more than
 * COLLECT_AFTER_BYTES (bodies: what a filter makes from data scales with the data) or linear
 * memory grew since the last one: garbage stays bounded and memory flat after warm-up.
 * With the incremental runtime this does nothing: that collector runs by itself.
 */
const COLLECT_EVERY: i32 = 32;
const COLLECT_AFTER_BYTES: usize = 64 * 1024;
let unitsSinceCollect: i32 = 0;
let hostBytesSinceCollect: usize = 0;
let pagesAtLastCollect: i32 = 0;

export function collectAtCallbackEnd(): void {
  if (ASC_RUNTIME != 1) return;
  unitsSinceCollect++;
  const pages = memory.size();
  if (unitsSinceCollect < COLLECT_EVERY && hostBytesSinceCollect < COLLECT_AFTER_BYTES && pages == pagesAtLastCollect) return;
  __collect();
  unitsSinceCollect = 0;
  hostBytesSinceCollect = 0;
  pagesAtLastCollect = memory.size();
}
