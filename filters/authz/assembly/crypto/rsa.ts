// RSASSA-PKCS1-v1_5 signature verification with SHA-256 (RFC 8017 sections 8.2.2 and 9.2).
import { Mont, compare, fromBytes, significantBytes, toBytes } from "./mont";

// DER of DigestInfo { AlgorithmIdentifier sha256, OCTET STRING (32 bytes) } without the hash.
const DIGEST_INFO_SHA256: StaticArray<u8> = [
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
];

export class RsaPublicKey {
  readonly bytes: i32;
  readonly mont: Mont;
  readonly e: StaticArray<u32>;
  constructor(n: StaticArray<u32>, bytes: i32, e: StaticArray<u32>) {
    this.bytes = bytes;
    this.mont = new Mont(n);
    this.e = e;
  }
}

/** Builds a key from the JWK's big-endian n and e; a message on failure (see rsaKeyError). */
export let rsaKeyError: string = "";
export function rsaPublicKey(n: Uint8Array, e: Uint8Array): RsaPublicKey | null {
  const bytes = significantBytes(n);
  if (bytes < 256 || bytes > 512) { rsaKeyError = "modulus must be 2048 to 4096 bits"; return null; }
  if ((n[n.length - 1] & 1) == 0) { rsaKeyError = "modulus must be odd"; return null; }
  if (e.length == 0 || (e[e.length - 1] & 1) == 0) { rsaKeyError = "exponent must be odd"; return null; }
  if (significantBytes(e) > 8) { rsaKeyError = "exponent must be odd and at most 64 bits"; return null; }
  return new RsaPublicKey(fromBytes(n, (bytes + 3) >>> 2), bytes, fromBytes(e, 2));
}

/** Verifies `sig` over a message whose SHA-256 is `hash`. */
export function rsaVerifySha256(key: RsaPublicKey, hash: Uint8Array, sig: Uint8Array): bool {
  if (sig.length != key.bytes) return false;
  const mont = key.mont;
  const s = fromBytes(sig, mont.k); // fits: sig has the modulus' length
  if (compare(s, mont.m) >= 0) return false;
  const x = new StaticArray<u32>(mont.k);
  mont.toMont(x, s);
  mont.pow(x, x, key.e);
  mont.fromMont(x, x);
  const em = toBytes(x, key.bytes);
  // EM = 0x00 0x01 PS(0xff...) 0x00 DigestInfo hash, compared in full.
  const tail = DIGEST_INFO_SHA256.length + 32;
  const psEnd = key.bytes - tail - 1;
  let diff: u32 = <u32>em[0] | (<u32>em[1] ^ 1) | <u32>em[psEnd];
  for (let i = 2; i < psEnd; i++) diff |= <u32>em[i] ^ 0xff;
  for (let i = 0; i < DIGEST_INFO_SHA256.length; i++) diff |= <u32>em[psEnd + 1 + i] ^ <u32>DIGEST_INFO_SHA256[i];
  for (let i = 0; i < 32; i++) diff |= <u32>em[key.bytes - 32 + i] ^ <u32>hash[i];
  return diff == 0;
}
