// Base64 decoding (RFC 4648): the URL-safe alphabet of JWTs and JWKs, and the standard one, with
// or without padding. Returns null on any character outside both alphabets.
import { fromUtf8 } from "meshwasm/sdk";

function value(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c == 45 || c == 43) return 62; // '-' or '+'
  if (c == 95 || c == 47) return 63; // '_' or '/'
  return -1;
}

export function base64Decode(s: string): Uint8Array | null {
  let len = s.length;
  while (len > 0 && s.charCodeAt(len - 1) == 61) len--; // '='
  if (len % 4 == 1) return null;
  const out = new Uint8Array((len * 3) >>> 2);
  let acc: u32 = 0, bits: u32 = 0, o = 0;
  for (let i = 0; i < len; i++) {
    const v = value(s.charCodeAt(i));
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>(acc >>> bits);
    }
  }
  return out;
}

export function base64DecodeString(s: string): string | null {
  const b = base64Decode(s);
  return b === null ? null : fromUtf8(b.buffer);
}

const HEX = "0123456789abcdef";

/** Lower-case hex, written in place into one string (API keys are hashed to it on every request). */
export function toHex(b: Uint8Array): string {
  const s = changetype<string>(__new(<usize>b.length << 2, idof<string>()));
  let p = changetype<usize>(s);
  for (let i = 0; i < b.length; i++) {
    store<u32>(p, <u32>HEX.charCodeAt(b[i] >>> 4) | (<u32>HEX.charCodeAt(b[i] & 15) << 16));
    p += 4;
  }
  return s;
}
