// The per-request header calls (get, has, replace, remove) without temporary heap objects. The
// general wrappers in hostcalls.ts encode each string into a new ArrayBuffer and copy what the host
// returns into another before decoding it; on a filter's hot path those buffers were most of the
// allocations (and so of the collector's sweep at stream end). Here names and values are encoded
// into one reused unmanaged buffer, and a returned value is decoded straight from the host's copy,
// which is freed at once. Same statuses and the same abort on ABI misuse as hostcalls.ts.
import * as imports from "./imports";
import { RET_PTR, RET_SIZE, clearReturnSlots } from "./memory";
import { MapType, Status, statusName } from "./types";

// Grows to the longest name + value encoded so far and is never freed: one block for the VM's life.
let scratch: usize = 0;
let scratchSize: usize = 0;

/** Room for `bytes` in the scratch buffer; its address. Valid until the next call. */
function scratchFor(bytes: usize): usize {
  if (bytes > scratchSize) {
    const size = bytes < 256 ? <usize>256 : bytes;
    scratch = scratch == 0 ? heap.alloc(size) : heap.realloc(scratch, size);
    scratchSize = size;
  }
  return scratch;
}

/** Worst case of UTF-8 for a string of `length` code units: 3 bytes each. */
// @ts-ignore: decorator
@inline function maxUtf8(s: string): usize { return <usize>s.length * 3; }

// @ts-ignore: decorator
@inline function encodeAt(s: string, at: usize): usize {
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
  if (st != Status.NotFound && st != Status.Ok) abort("proxy_get_header_map_value failed: " + statusName(st));
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
