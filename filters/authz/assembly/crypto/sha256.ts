// SHA-256 (FIPS 180-4, section 6.2), streaming. Written here rather than taken from npm: the only
// maintained AssemblyScript implementation ships its own memory layout and targets older asc.
// State lives in preallocated static arrays so hashing allocates nothing but its 32-byte result.
import { utf8 } from "meshwasm/sdk";

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** The initial hash value (section 5.3.3), copied into H at each start. */
const H0: StaticArray<u32> = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const W = new StaticArray<u32>(64);
const H = new StaticArray<u32>(8);
const BLOCK = new StaticArray<u8>(64);
let blockLen: i32 = 0;
let totalLen: u64 = 0;

function compress(): void {
  for (let i = 0; i < 16; i++) {
    const j = i << 2;
    unchecked(W[i] = (<u32>unchecked(BLOCK[j]) << 24) | (<u32>unchecked(BLOCK[j + 1]) << 16) |
      (<u32>unchecked(BLOCK[j + 2]) << 8) | <u32>unchecked(BLOCK[j + 3]));
  }
  for (let i = 16; i < 64; i++) {
    const w15 = unchecked(W[i - 15]);
    const w2 = unchecked(W[i - 2]);
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    unchecked(W[i] = unchecked(W[i - 16]) + s0 + unchecked(W[i - 7]) + s1);
  }
  let a = unchecked(H[0]), b = unchecked(H[1]), c = unchecked(H[2]), d = unchecked(H[3]);
  let e = unchecked(H[4]), f = unchecked(H[5]), g = unchecked(H[6]), h = unchecked(H[7]);
  for (let i = 0; i < 64; i++) {
    const t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + unchecked(K[i]) + unchecked(W[i]);
    const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  unchecked(H[0] += a); unchecked(H[1] += b); unchecked(H[2] += c); unchecked(H[3] += d);
  unchecked(H[4] += e); unchecked(H[5] += f); unchecked(H[6] += g); unchecked(H[7] += h);
}

/** Starts a new digest (one at a time: the state is module-global). */
export function sha256Init(): void {
  memory.copy(changetype<usize>(H), changetype<usize>(H0), 32);
  blockLen = 0;
  totalLen = 0;
}

/** Feeds `len` bytes starting at raw address `ptr`. */
export function sha256UpdateRaw(ptr: usize, len: i32): void {
  totalLen += <u64>len;
  for (let i = 0; i < len; i++) {
    unchecked(BLOCK[blockLen++] = load<u8>(ptr + <usize>i));
    if (blockLen == 64) { compress(); blockLen = 0; }
  }
}

export function sha256Update(data: Uint8Array): void {
  sha256UpdateRaw(data.dataStart, data.length);
}

export function sha256UpdateString(s: string): void {
  const b = utf8(s);
  sha256UpdateRaw(changetype<usize>(b), b.byteLength);
}

/** Pads, finishes and returns the 32-byte digest. */
export function sha256Final(): Uint8Array {
  const bits = totalLen << 3;
  unchecked(BLOCK[blockLen++] = 0x80);
  if (blockLen > 56) {
    while (blockLen < 64) unchecked(BLOCK[blockLen++] = 0);
    compress();
    blockLen = 0;
  }
  while (blockLen < 56) unchecked(BLOCK[blockLen++] = 0);
  for (let i = 0; i < 8; i++) unchecked(BLOCK[56 + i] = <u8>(bits >>> (<u64>(56 - 8 * i))));
  compress();
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = unchecked(H[i]);
    out[i * 4] = <u8>(v >>> 24); out[i * 4 + 1] = <u8>(v >>> 16); out[i * 4 + 2] = <u8>(v >>> 8); out[i * 4 + 3] = <u8>v;
  }
  return out;
}

export function sha256(data: Uint8Array): Uint8Array {
  sha256Init();
  sha256Update(data);
  return sha256Final();
}

export function sha256String(s: string): Uint8Array {
  sha256Init();
  sha256UpdateString(s);
  return sha256Final();
}

/** HMAC-SHA256 (RFC 2104) of `message` (UTF-8 of an ASCII signing input) under `key`. */
export function hmacSha256(key: Uint8Array, message: string): Uint8Array {
  let k = key;
  if (k.length > 64) k = sha256(k);
  const pad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) pad[i] = (i < k.length ? k[i] : 0) ^ 0x36;
  sha256Init();
  sha256Update(pad);
  sha256UpdateString(message);
  const inner = sha256Final();
  for (let i = 0; i < 64; i++) pad[i] = (i < k.length ? k[i] : 0) ^ 0x5c;
  sha256Init();
  sha256Update(pad);
  sha256Update(inner);
  return sha256Final();
}

/** Compares without an early exit, so timing does not reveal how many leading bytes matched. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  let diff: u32 = 0;
  for (let i = 0; i < a.length; i++) diff |= <u32>(a[i] ^ b[i]);
  return diff == 0;
}
