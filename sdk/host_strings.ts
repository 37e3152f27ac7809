// Strings to and from the host without a managed buffer in between. A header name or value the
// SDK hands the host is encoded into scratch memory the next host call reuses, and a value the
// host returns is decoded straight from the host's copy: per header operation, no garbage but
// the string the filter asked for (docs/BENCHMARKS.md, "SDK overhead and stream-end collection").
// Header names and values are nearly always ASCII, so both directions move four characters per
// step while they are; anything else goes through the standard library's UTF-8 codec.

// Unmanaged (TLSF) memory, never collected: grows to the largest pair of strings handed over.
let scratch: usize = 0;
let scratchBytes: usize = 0;

/** Where the first string staged by stage()/stage2() starts, and its UTF-8 length. */
export let arg0: usize = 0;
export let arg0Len: usize = 0;
/** The second string of stage2(). */
export let arg1: usize = 0;
export let arg1Len: usize = 0;

function reserve(bytes: usize): void {
  if (bytes <= scratchBytes) return;
  scratch = scratch == 0 ? heap.alloc(bytes) : heap.realloc(scratch, bytes);
  scratchBytes = bytes;
}

/** Encodes `s` as UTF-8 at `dst`, which has room for 3 bytes per UTF-16 unit; returns the bytes written. */
function encodeAt(s: string, dst: usize): usize {
  const src = changetype<usize>(s);
  const units = <usize>s.length;
  let i: usize = 0;
  while (i + 4 <= units) {
    const w = load<u64>(src + (i << 1));
    if ((w & 0xFF80FF80FF80FF80) != 0) break;
    store<u32>(dst + i, <u32>(w & 0xFF) | <u32>((w >> 8) & 0xFF00) | <u32>((w >> 16) & 0xFF0000) | <u32>((w >> 24) & 0xFF000000));
    i += 4;
  }
  while (i < units) {
    const c = load<u16>(src + (i << 1));
    if (c >= 0x80) break;
    store<u8>(dst + i, <u8>c);
    i++;
  }
  if (i == units) return units;
  return i + String.UTF8.encodeUnsafe(src + (i << 1), <i32>(units - i), dst + i, false, String.UTF8.ErrorMode.WTF8);
}

/** Stages one string for a host call: arg0/arg0Len, valid until the next stage. */
export function stage(a: string): void {
  reserve((<usize>a.length * 3) | 1);
  arg0 = scratch;
  arg0Len = encodeAt(a, scratch);
}

/** Stages two strings for a host call: arg0/arg0Len and arg1/arg1Len, valid until the next stage. */
export function stage2(a: string, b: string): void {
  reserve(((<usize>a.length + <usize>b.length) * 3) | 1);
  arg0 = scratch;
  arg0Len = encodeAt(a, scratch);
  arg1 = scratch + arg0Len;
  arg1Len = encodeAt(b, arg1);
}

/** The UTF-8 bytes at `ptr` as a string (invalid sequences as the standard library decodes them). */
export function decodeAt(ptr: usize, size: usize): string {
  if (size == 0) return "";
  let i: usize = 0;
  while (i + 4 <= size && (load<u32>(ptr + i) & 0x80808080) == 0) i += 4;
  while (i < size && load<u8>(ptr + i) < 0x80) i++;
  if (i < size) return String.UTF8.decodeUnsafe(ptr, size, false);
  const out = __new(size << 1, idof<String>());
  let j: usize = 0;
  while (j + 4 <= size) {
    const w = <u64>load<u32>(ptr + j);
    store<u64>(out + (j << 1), (w & 0xFF) | ((w & 0xFF00) << 8) | ((w & 0xFF0000) << 16) | ((w & 0xFF000000) << 24));
    j += 4;
  }
  while (j < size) {
    store<u16>(out + (j << 1), load<u8>(ptr + j));
    j++;
  }
  return changetype<string>(out);
}
