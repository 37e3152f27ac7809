// Unsigned LEB128, the integer encoding of wasm section sizes and counts (and of protobuf varints,
// which the gRPC service encoding writes). The host rewrites a few sections at load (memory limit,
// source-map URL) and needs both directions; values stay within
// 2^53, so plain arithmetic instead of bit shifts keeps sizes above 2^31 correct.

/** The unsigned LEB128 value at `pos` and the position after it. */
export function readUleb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = bytes[pos++]!;
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [result, pos];
}

/** `n` encoded as unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
