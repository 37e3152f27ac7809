// Header maps as they cross the ABI: u32 count, then u32 key/value lengths for each pair, then
// the bytes of each key and value, each followed by a NUL (spec "Serialization").

export class HeaderPair {
  constructor(public key: string, public value: string) {}
}

export type Headers = Array<HeaderPair>;

export function serializeHeaders(headers: Headers): ArrayBuffer {
  const n = headers.length;
  const keys = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const k = String.UTF8.encode(unchecked(headers[i]).key);
    const v = String.UTF8.encode(unchecked(headers[i]).value);
    unchecked(keys[i] = k);
    unchecked(values[i] = v);
    size += k.byteLength + v.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let lens = base + 4;
  let data = base + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const k = unchecked(keys[i]);
    const v = unchecked(values[i]);
    store<u32>(lens, <u32>k.byteLength);
    store<u32>(lens + 4, <u32>v.byteLength);
    lens += 8;
    memory.copy(data, changetype<usize>(k), k.byteLength);
    data += k.byteLength;
    store<u8>(data++, 0);
    memory.copy(data, changetype<usize>(v), v.byteLength);
    data += v.byteLength;
    store<u8>(data++, 0);
  }
  return out;
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
