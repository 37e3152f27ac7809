// Query-string parameters of a :path, percent-decoded ("+" is a space, as HTML forms send it).
import { charIndex } from "./ascii";

export function queryParam(path: string, name: string): string | null {
  const q = charIndex(path, 0x3f, 0);
  if (q < 0) return null;
  let end = charIndex(path, 0x23, q);
  if (end < 0) end = path.length;
  let start = q + 1;
  while (start <= end) {
    let amp = charIndex(path, 0x26, start);
    if (amp < 0 || amp > end) amp = end;
    const eq = charIndex(path, 0x3d, start);
    const keyEnd = eq >= 0 && eq < amp ? eq : amp;
    if (percentDecode(path.substring(start, keyEnd)) == name) {
      return keyEnd == amp ? "" : percentDecode(path.substring(keyEnd + 1, amp));
    }
    start = amp + 1;
  }
  return null;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Decodes %XX escapes as UTF-8; a malformed escape is kept as written. */
export function percentDecode(s: string): string {
  if (charIndex(s, 0x25, 0) < 0 && charIndex(s, 0x2b, 0) < 0) return s;
  // Raw bytes rather than a Uint8Array: no typed-array code in the module for this. Each UTF-16
  // unit makes at most 3 bytes, so `s.length * 3` bounds every store below.
  const buffer = new ArrayBuffer(s.length * 3);
  const bytes = changetype<usize>(buffer);
  let n: usize = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x25 && i + 2 < s.length) {
      const h = hexValue(s.charCodeAt(i + 1)), l = hexValue(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) { store<u8>(bytes + n++, (h << 4) | l); i += 2; continue; }
    }
    if (c == 0x2b) { store<u8>(bytes + n++, 0x20); continue; }
    if (c < 0x80) { store<u8>(bytes + n++, c); continue; }
    // Non-ASCII characters written unescaped: re-encode the UTF-16 unit, with the next one after a
    // high surrogate, as UTF-8.
    const units = c >= 0xd800 && c < 0xdc00 && i + 1 < s.length ? 2 : 1;
    n += String.UTF8.encodeUnsafe(changetype<usize>(s) + (<usize>i << 1), units, bytes + n, false, String.UTF8.ErrorMode.WTF8);
    i += units - 1;
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(buffer), n, false);
}
