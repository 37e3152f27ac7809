// The per-request header calls (get, has, replace, remove) without temporary heap objects. The
// general wrappers in hostcalls.ts encode each string into a new ArrayBuffer and copy what the host
// returns into another before decoding it; on a filter's hot path those buffers were most of the
// allocations (and so of the collector's sweep at stream end). Here names and values are encoded
// into one reused unmanaged buffer, and a returned value is decoded straight from the host's copy,
// which is freed at once. Same statuses and the same abort on ABI misuse as hostcalls.ts.
import * as imports from "./imports";
import { RET_PTR, RET_SIZE, clearReturnSlots } from "./memory";
import { MapType, Status } from "./types";
import { callFailed } from "./call_failed";

// Grows to the longest name + value encoded so far and is never freed: one block for the VM's life.
let scratch: usize = 0;
let scratchSize: usize = 0;

/** Room for `bytes` in the scratch buffer; its address. Valid until the next call. */
function scratchFor(bytes: usize): usize {
  if (bytes > scratchSize) {
    const size = bytes < 256 ? <usize>256 : bytes;
    // Nothing in it needs keeping: free and allocate rather than realloc (less code in every module).
    if (scratch != 0) heap.free(scratch);
    scratch = heap.alloc(size);
    scratchSize = size;
  }
  return scratch;
}

/** Worst case of UTF-8 for a string of `length` code units: 3 bytes each. */
// @ts-ignore: decorator
@inline function maxUtf8(s: string): usize { return <usize>s.length * 3; }

function encodeAt(s: string, at: usize): usize {
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at, false, String.UTF8.ErrorMode.WTF8);
}

/** What the host wrote through RET_PTR/RET_SIZE as a string; the host's block is freed. */
function takeReturnedString(): string {
  const ptr = load<usize>(RET_PTR);
  if (ptr == 0) return "";
  const text = String.UTF8.decodeUnsafe(ptr, load<u32>(RET_SIZE), false);
  heap.free(ptr);
  return text;
}

function lookup(map: MapType, name: string): u32 {
  const at = scratchFor(maxUtf8(name));
  const length = encodeAt(name, at);
  clearReturnSlots();
  const st = imports.proxy_get_header_map_value(map, at, length, RET_PTR, RET_SIZE);
  if (st != Status.NotFound && st != Status.Ok) callFailed("proxy_get_header_map_value", st);
  return st;
}

/** First value of `name` in `map`, or null when absent. */
export function headerValue(map: MapType, name: string): string | null {
  if (lookup(map, name) == Status.NotFound) return null;
  return takeReturnedString();
}

/** Whether `name` is in `map`; the value is not decoded. */
export function headerPresent(map: MapType, name: string): bool {
  if (lookup(map, name) == Status.NotFound) return false;
  const ptr = load<usize>(RET_PTR);
  if (ptr != 0) heap.free(ptr);
  return true;
}

export function replaceHeaderValue(map: MapType, name: string, value: string): Status {
  const at = scratchFor(maxUtf8(name) + maxUtf8(value));
  const nameLength = encodeAt(name, at);
  const valueLength = encodeAt(value, at + nameLength);
  return <Status>imports.proxy_replace_header_map_value(map, at, nameLength, at + nameLength, valueLength);
}

export function removeHeaderValue(map: MapType, name: string): Status {
  const at = scratchFor(maxUtf8(name));
  return <Status>imports.proxy_remove_header_map_value(map, at, encodeAt(name, at));
}

/**
 * Every value of `name` in `map`, in the host's order (a header may repeat: HTTP/2 splits cookies
 * over several). One proxy_get_header_map_pairs call; only the matching values become strings,
 * where HeaderMap.all() would decode every name and value of the map. `name` is lower case.
 */
export function headerValues(map: MapType, name: string): Array<string> {
  const out = new Array<string>();
  clearReturnSlots();
  const st = imports.proxy_get_header_map_pairs(map, RET_PTR, RET_SIZE);
  if (st == Status.NotFound) return out;
  if (st != Status.Ok) callFailed("proxy_get_header_map_pairs", st);
  const base = load<usize>(RET_PTR);
  const size = <usize>load<u32>(RET_SIZE);
  if (base == 0) return out;
  const want = scratchFor(maxUtf8(name));
  const wantLength = encodeAt(name, want);
  // Layout (spec "Serialization"): u32 count, u32 name and value lengths per pair, then each
  // name and value followed by a NUL. A map that does not fit its own lengths is read no further.
  const end = base + size;
  const n = size >= 4 ? <usize>load<u32>(base) : 0;
  let lens = base + 4;
  let data = lens + n * 8;
  for (let i: usize = 0; i < n && data <= end; i++) {
    const kl = <usize>load<u32>(lens);
    const vl = <usize>load<u32>(lens + 4);
    lens += 8;
    if (data + kl + vl + 2 > end) break;
    if (kl == wantLength && memory.compare(data, want, kl) == 0) out.push(String.UTF8.decodeUnsafe(data + kl + 1, vl, false));
    data += kl + vl + 2;
  }
  heap.free(base);
  return out;
}
