// ASCII-only text helpers for filters (`meshwasm/sdk/ascii`). Header names, methods and hosts are
// ASCII, and the standard library's Unicode case mapping costs kilobytes of tables in every module.

export function lower(s: string): string { return shiftLetters(s, 65, 90, 32); }

export function upper(s: string): string { return shiftLetters(s, 97, 122, -32); }

/**
 * `s` with each code unit in [first, last] moved by `delta`, or `s` itself when none is. The
 * result is made once and written in place: these run on request data (header values under
 * ignoreCase), where building it a character at a time would cost time quadratic in its length.
 */
function shiftLetters(s: string, first: i32, last: i32, delta: i32): string {
  const n = s.length;
  let i = 0;
  while (i < n && !inRange(s.charCodeAt(i), first, last)) i++;
  if (i == n) return s; // common case: nothing to change, no copy
  const bytes = <usize>n << 1;
  const out = changetype<string>(__new(bytes, idof<string>()));
  memory.copy(changetype<usize>(out), changetype<usize>(s), bytes);
  for (let p = changetype<usize>(out) + (<usize>i << 1), end = changetype<usize>(out) + bytes; p < end; p += 2) {
    const c = <i32>load<u16>(p);
    if (inRange(c, first, last)) store<u16>(p, <u16>(c + delta));
  }
  return out;
}

// @ts-ignore: decorator
@inline function inRange(c: i32, first: i32, last: i32): bool { return <u32>(c - first) <= <u32>(last - first); }

/** A non-negative decimal integer, -1 when `s` is anything else. */
export function parseDecimal(s: string): i32 {
  if (s.length == 0 || s.length > 9) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** `s` with every code unit `from` replaced by `to`; one pass, one result string. */
export function replaceChar(s: string, from: i32, to: string): string {
  let count = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) == from) count++;
  if (count == 0) return s;
  const toBytes = <usize>to.length << 1;
  const out = changetype<string>(__new(<usize>(s.length + count * (to.length - 1)) << 1, idof<string>()));
  let p = changetype<usize>(out);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == from) { memory.copy(p, changetype<usize>(to), toBytes); p += toBytes; }
    else { store<u16>(p, <u16>c); p += 2; }
  }
  return out;
}

/**
 * Where code unit `c` first occurs in `s` at or after `from` (not negative), -1 when it does not: String#indexOf
 * for one character, without the standard library's substring search. Units are loaded directly:
 * these run on request data, where a charCodeAt call per unit would cost more than the search.
 */
export function charIndex(s: string, c: i32, from: i32): i32 {
  // `from` is never negative here (callers pass 0 or a found position + 1), so no clamp.
  const p = changetype<usize>(s);
  for (let i = from, n = s.length; i < n; i++) if (<i32>load<u16>(p + (<usize>i << 1)) == c) return i;
  return -1;
}

/** Where code unit `c` last occurs in `s`, -1 when it does not (String#lastIndexOf for one character). */
export function lastCharIndex(s: string, c: i32): i32 {
  const p = changetype<usize>(s);
  let i = s.length - 1;
  while (i >= 0 && <i32>load<u16>(p + (<usize>i << 1)) != c) i--;
  return i;
}
