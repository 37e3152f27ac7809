// The per-request header calls (get, has, replace, remove, every value of a name) without
// temporary heap objects: names and values are staged in host_strings' reused scratch memory, and a
// returned value is decoded straight from the host's copy, which is freed at once. On a filter's hot
// path per-call buffers were most of the allocations (and so of the collector's sweep at stream
// end). hostcalls.ts's header functions delegate here; same statuses and the same abort on misuse.
import * as imports from "./imports";
import { RET_PTR, RET_SIZE, clearReturnSlots, takeReturnedString } from "./memory";
import { stage, staged, stagedLen } from "./host_strings";
import { MapType, Status } from "./types";
import { callFailed } from "./call_failed";

function lookup(map: MapType, name: string): u32 {
  stage(name, "");
  clearReturnSlots();
  const st = imports.proxy_get_header_map_value(map, staged, stagedLen, RET_PTR, RET_SIZE);
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
  const valueLength = stage(name, value);
  return <Status>imports.proxy_replace_header_map_value(map, staged, stagedLen, staged + stagedLen, valueLength);
}

export function removeHeaderValue(map: MapType, name: string): Status {
  stage(name, "");
  return <Status>imports.proxy_remove_header_map_value(map, staged, stagedLen);
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
  stage(name, "");
  const want = staged;
  const wantLength = stagedLen;
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
