// ECDSA verification on NIST P-256 with SHA-256 (FIPS 186-4 section 6.4.2, SEC 1 section 4.1.4).
// Field elements stay in Montgomery form; points use Jacobian coordinates with the a = -3
// doubling formula (dbl-2001-b) and the general addition (add-2007-bl) from the Explicit-Formulas
// Database. u1*G + u2*Q is computed in one pass (Shamir's trick). Verification handles only
// public data, so no constant-time care is needed.
import { Mont, compare, copy, fromBytes, fromBytesAt, isZero } from "./mont";

// Curve constants as 8 little-endian 32-bit limbs (least significant first), stored in the
// module's data as 32 bytes each; as 64-digit hex strings they took 148 bytes each plus a parser.
// Only read, never written.
const P: StaticArray<u32> = [0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0xffffffff]; // ffffffff00000001000000000000000000000000ffffffffffffffffffffffff
const N: StaticArray<u32> = [0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000, 0xffffffff]; // ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
const GX: StaticArray<u32> = [0xd898c296, 0xf4a13945, 0x2deb33a0, 0x77037d81, 0x63a440f2, 0xf8bce6e5, 0xe12c4247, 0x6b17d1f2]; // 6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296
const GY: StaticArray<u32> = [0x37bf51f5, 0xcbb64068, 0x6b315ece, 0x2bce3357, 0x7c0f9e16, 0x8ee7eb4a, 0xfe1a7f9b, 0x4fe342e2]; // 4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5
const B: StaticArray<u32> = [0x27d2604b, 0x3bce3c3e, 0xcc53b0f6, 0x651d06b0, 0x769886bc, 0xb3ebbd55, 0xaa3a93e7, 0x5ac635d8]; // 5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b

let fp: Mont | null = null;
let fn: Mont | null = null;
let gx: StaticArray<u32> = new StaticArray<u32>(8);
let gy: StaticArray<u32> = new StaticArray<u32>(8);
let curveB: StaticArray<u32> = new StaticArray<u32>(8);
let nMinus2: StaticArray<u32> = new StaticArray<u32>(8);

// Set up on first use: building R^2 for both moduli costs a few thousand limb operations.
function setup(): Mont {
  const ready = fp;
  if (ready !== null) return ready;
  const p = P;
  const n = N;
  const f = new Mont(p);
  fp = f;
  fn = new Mont(n);
  f.toMont(gx, GX);
  f.toMont(gy, GY);
  f.toMont(curveB, B);
  copy(nMinus2, n); nMinus2[0] -= 2;
  return f;
}

class Point {
  x: StaticArray<u32> = new StaticArray<u32>(8);
  y: StaticArray<u32> = new StaticArray<u32>(8);
  z: StaticArray<u32> = new StaticArray<u32>(8);
  setInfinity(): void { for (let i = 0; i < 8; i++) { this.x[i] = 0; this.y[i] = 0; this.z[i] = 0; } }
  isInfinity(): bool { return isZero(this.z); }
  set(o: Point): void { copy(this.x, o.x); copy(this.y, o.y); copy(this.z, o.z); }
}

// Scratch field elements, reused by every operation.
const t0 = new StaticArray<u32>(8), t1 = new StaticArray<u32>(8), t2 = new StaticArray<u32>(8);
const t3 = new StaticArray<u32>(8), t4 = new StaticArray<u32>(8), t5 = new StaticArray<u32>(8);
const t6 = new StaticArray<u32>(8), t7 = new StaticArray<u32>(8), t8 = new StaticArray<u32>(8);

function double(f: Mont, r: Point, p: Point): void {
  if (p.isInfinity() || isZero(p.y)) { r.setInfinity(); return; }
  const delta = t0, gamma = t1, beta = t2, alpha = t3;
  f.mul(delta, p.z, p.z);
  f.mul(gamma, p.y, p.y);
  f.mul(beta, p.x, gamma);
  f.sub(t4, p.x, delta);
  f.add(t5, p.x, delta);
  f.mul(alpha, t4, t5);
  f.add(t4, alpha, alpha);
  f.add(alpha, t4, alpha); // 3*(x-delta)*(x+delta)
  // z3 = (y+z)^2 - gamma - delta (before y and z are overwritten)
  f.add(t6, p.y, p.z);
  f.mul(t6, t6, t6);
  f.sub(t6, t6, gamma);
  f.sub(r.z, t6, delta);
  // x3 = alpha^2 - 8*beta
  f.add(t7, beta, beta); f.add(t7, t7, t7); // 4*beta
  f.add(t8, t7, t7); // 8*beta
  f.mul(t4, alpha, alpha);
  f.sub(r.x, t4, t8);
  // y3 = alpha*(4*beta - x3) - 8*gamma^2
  f.sub(t7, t7, r.x);
  f.mul(t7, alpha, t7);
  f.mul(t8, gamma, gamma);
  f.add(t8, t8, t8); f.add(t8, t8, t8); f.add(t8, t8, t8);
  f.sub(r.y, t7, t8);
}

const u1 = new StaticArray<u32>(8), u2 = new StaticArray<u32>(8), s1 = new StaticArray<u32>(8);
const s2 = new StaticArray<u32>(8), hh = new StaticArray<u32>(8), rr = new StaticArray<u32>(8);
const z1z1 = new StaticArray<u32>(8), z2z2 = new StaticArray<u32>(8);

/** r = p + q; r may be p or q. */
function add(f: Mont, r: Point, p: Point, q: Point): void {
  if (p.isInfinity()) { r.set(q); return; }
  if (q.isInfinity()) { r.set(p); return; }
  f.mul(z1z1, p.z, p.z);
  f.mul(z2z2, q.z, q.z);
  f.mul(u1, p.x, z2z2);
  f.mul(u2, q.x, z1z1);
  f.mul(s1, p.y, q.z); f.mul(s1, s1, z2z2);
  f.mul(s2, q.y, p.z); f.mul(s2, s2, z1z1);
  f.sub(hh, u2, u1);
  f.sub(rr, s2, s1);
  if (isZero(hh)) {
    if (isZero(rr)) { double(f, r, p); return; }
    r.setInfinity();
    return;
  }
  f.add(rr, rr, rr);
  const i = t0, j = t1, v = t2;
  f.add(i, hh, hh); f.mul(i, i, i);
  f.mul(j, hh, i);
  f.mul(v, u1, i);
  // z3 = ((z1+z2)^2 - z1z1 - z2z2) * h
  f.add(t3, p.z, q.z); f.mul(t3, t3, t3); f.sub(t3, t3, z1z1); f.sub(t3, t3, z2z2);
  f.mul(r.z, t3, hh);
  // x3 = r^2 - j - 2v
  f.mul(t4, rr, rr); f.sub(t4, t4, j); f.sub(t4, t4, v); f.sub(r.x, t4, v);
  // y3 = r*(v - x3) - 2*s1*j
  f.sub(t5, v, r.x); f.mul(t5, rr, t5);
  f.mul(t6, s1, j); f.add(t6, t6, t6);
  f.sub(r.y, t5, t6);
}

/** r = p + q where q is affine (z = 1): madd-2007-bl, five multiplications fewer. r may be p. */
function addAffine(f: Mont, r: Point, p: Point, q: Point): void {
  if (p.isInfinity()) { r.set(q); return; }
  f.mul(z1z1, p.z, p.z);
  f.mul(u2, q.x, z1z1);
  f.mul(s2, q.y, p.z); f.mul(s2, s2, z1z1);
  f.sub(hh, u2, p.x);
  f.sub(rr, s2, p.y);
  if (isZero(hh)) {
    if (isZero(rr)) { double(f, r, p); return; }
    r.setInfinity();
    return;
  }
  f.add(rr, rr, rr);
  const i = t0, j = t1, v = t2;
  f.add(i, hh, hh); f.mul(i, i, i);
  f.mul(j, hh, i);
  f.mul(v, p.x, i);
  // z3 = (z1 + h)^2 - z1z1 - h^2, into t3 before p.z can be overwritten
  f.add(t3, p.z, hh); f.mul(t3, t3, t3); f.sub(t3, t3, z1z1); f.mul(t7, hh, hh); f.sub(t3, t3, t7);
  // y3 needs y1 * j before r.y is written
  f.mul(t6, p.y, j); f.add(t6, t6, t6);
  f.mul(t4, rr, rr); f.sub(t4, t4, j); f.sub(t4, t4, v); f.sub(r.x, t4, v);
  f.sub(t5, v, r.x); f.mul(t5, rr, t5);
  f.sub(r.y, t5, t6);
  copy(r.z, t3);
}

export class P256PublicKey {
  constructor(public x: StaticArray<u32>, public y: StaticArray<u32>) {} // Montgomery form
}

/** A public key from its 32-byte big-endian coordinates; null when not a point on the curve. */
export function p256PublicKey(xb: Uint8Array, yb: Uint8Array): P256PublicKey | null {
  const f = setup();
  if (xb.length != 32 || yb.length != 32) return null;
  const x = fromBytes(xb, 8), y = fromBytes(yb, 8);
  if (compare(x, f.m) >= 0 || compare(y, f.m) >= 0) return null;
  const xm = new StaticArray<u32>(8), ym = new StaticArray<u32>(8);
  f.toMont(xm, x); f.toMont(ym, y);
  // y^2 == x^3 - 3x + b
  const lhs = new StaticArray<u32>(8), rhs = new StaticArray<u32>(8), tmp = new StaticArray<u32>(8);
  f.mul(lhs, ym, ym);
  f.mul(rhs, xm, xm); f.mul(rhs, rhs, xm);
  f.add(tmp, xm, xm); f.add(tmp, tmp, xm);
  f.sub(rhs, rhs, tmp); f.add(rhs, rhs, curveB);
  if (compare(lhs, rhs) != 0) return null;
  return new P256PublicKey(xm, ym);
}

/** Verifies a JWS ES256 signature (r || s, 64 bytes) over a message whose SHA-256 is `hash`. */
export function p256VerifySha256(key: P256PublicKey, hash: Uint8Array, sig: Uint8Array): bool {
  const f = setup();
  const n = fn;
  if (n === null || sig.length != 64 || hash.length != 32) return false;
  const r = fromBytesAt(sig, 0, 32, 8), s = fromBytesAt(sig, 32, 32, 8);
  if (isZero(r) || isZero(s) || compare(r, n.m) >= 0 || compare(s, n.m) >= 0) return false;
  const e = fromBytes(hash, 8);
  if (compare(e, n.m) >= 0) n.sub(e, e, n.m); // e < 2^256 < 2n
  // w = s^-1 mod n (Fermat); u1 = e*w, u2 = r*w, leaving Montgomery form by multiplying plain by Montgomery.
  const w = new StaticArray<u32>(8);
  n.toMont(w, s);
  n.pow(w, w, nMinus2);
  const a = new StaticArray<u32>(8), b = new StaticArray<u32>(8);
  n.mul(a, e, w);
  n.mul(b, r, w);
  // Shamir: walk both scalars from the top bit, adding G, Q or G+Q.
  const g = new Point(); copy(g.x, gx); copy(g.y, gy); copy(g.z, f.one);
  const q = new Point(); copy(q.x, key.x); copy(q.y, key.y); copy(q.z, f.one);
  const gq = new Point(); add(f, gq, g, q);
  const acc = new Point(); acc.setInfinity();
  for (let i = 255; i >= 0; i--) {
    double(f, acc, acc);
    const bitA = (unchecked(a[i >>> 5]) >>> (<u32>i & 31)) & 1;
    const bitB = (unchecked(b[i >>> 5]) >>> (<u32>i & 31)) & 1;
    if (bitA != 0 && bitB != 0) add(f, acc, acc, gq);
    else if (bitA != 0) addAffine(f, acc, acc, g);
    else if (bitB != 0) addAffine(f, acc, acc, q);
  }
  if (acc.isInfinity()) return false;
  // x(affine) = X / Z^2; instead of inverting Z, check X == r * Z^2 (mod p), and also
  // X == (r + n) * Z^2 when r + n < p (x may have been reduced mod n).
  const z2 = new StaticArray<u32>(8), cand = new StaticArray<u32>(8);
  f.mul(z2, acc.z, acc.z);
  f.toMont(cand, r);
  f.mul(cand, cand, z2);
  if (compare(cand, acc.x) == 0) return true;
  const rn = new StaticArray<u32>(8);
  let carry: u64 = 0;
  for (let i = 0; i < 8; i++) {
    const s = <u64>r[i] + <u64>n.m[i] + carry;
    rn[i] = <u32>s;
    carry = s >>> 32;
  }
  if (carry != 0 || compare(rn, f.m) >= 0) return false;
  f.toMont(cand, rn);
  f.mul(cand, cand, z2);
  return compare(cand, acc.x) == 0;
}
