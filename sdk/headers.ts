// Header maps as they cross the ABI: u32 count, then u32 key/value lengths for each pair, then
// the bytes of each key and value, each followed by a NUL (spec "Serialization").

export class HeaderPair {
  constructor(public key: string, public value: string) {}
}

export type Headers = Array<HeaderPair>;

export function serializeHeaders(headers: Headers): ArrayBuffer {
  // Sized for the worst case (3 UTF-8 bytes per UTF-16 unit), each string encoded straight into
  // place, then trimmed to what was written: no intermediate buffer per string, and no
  // String.UTF8.byteLength pass (nor its code in the module).
  const n = headers.length;
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const pair = unchecked(headers[i]);
    size += (pair.key.length + pair.value.length) * 3 + 2;
  }
  const out = changetype<usize>(new ArrayBuffer(size));
  store<u32>(out, <u32>n);
  let lens = out + 4;
  let data = lens + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const pair = unchecked(headers[i]);
    const keyLength = encodeTerminated(pair.key, data);
    data += keyLength + 1;
    const valueLength = encodeTerminated(pair.value, data);
    data += valueLength + 1;
    store<u32>(lens, <u32>keyLength);
    store<u32>(lens + 4, <u32>valueLength);
    lens += 8;
  }
  return changetype<ArrayBuffer>(__renew(out, data - out));
}

/** Writes `s` as UTF-8 at `at`, then a NUL; the UTF-8 length (without the NUL). */
function encodeTerminated(s: string, at: usize): usize {
  // Not encodeUnsafe's own nullTerminated mode: that stops at a NUL inside the string.
  const length = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at, false, String.UTF8.ErrorMode.WTF8);
  store<u8>(at + length, 0);
  return length;
}

export function deserializeHeaders(buf: ArrayBuffer): Headers {
  const result = new Array<HeaderPair>();
  // An empty map is either no bytes or a single 0 byte.
  if (buf.byteLength < 4) return result;
  const base = changetype<usize>(buf);
  const end = base + <usize>buf.byteLength;
  const n = load<u32>(base);
  let lens = base + 4;
  let data = base + 4 + <usize>n * 8;
  if (data > end) return result;
  for (let i: u32 = 0; i < n; i++) {
    const kl = load<u32>(lens);
    const vl = load<u32>(lens + 4);
    lens += 8;
    if (data + kl + vl + 2 > end) break;
    const key = String.UTF8.decodeUnsafe(data, kl);
    data += kl + 1;
    const value = String.UTF8.decodeUnsafe(data, vl);
    data += vl + 1;
    result.push(new HeaderPair(key, value));
  }
  return result;
}
