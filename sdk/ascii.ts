// ASCII-only text helpers for filters (`meshwasm/sdk/ascii`). Header names, methods and hosts are
// ASCII, and the standard library's Unicode case mapping costs kilobytes of tables in every module.

export function lower(s: string): string {
  let i = 0;
  for (; i < s.length; i++) { const c = s.charCodeAt(i); if (c >= 65 && c <= 90) break; }
  if (i == s.length) return s; // common case: already lower-case, no copy
  let out = s.substring(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return out;
}

export function upper(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 97 && c <= 122 ? c - 32 : c);
  }
  return out;
}

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

export function replaceChar(s: string, from: i32, to: string): string {
  if (s.indexOf(String.fromCharCode(from)) < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i) == from ? to : s.charAt(i);
  return out;
}
