// Modular arithmetic for an odd modulus in Montgomery form (CIOS multiplication, Koc et al. 1996).
// Numbers are little-endian arrays of 32-bit limbs of the modulus' length. RSA keys (any size)
// and both P-256 fields (p and the group order n) use this one implementation.
// Results are written into caller-given arrays so hot loops allocate nothing.

export class Mont {
  readonly k: i32;
  readonly m: StaticArray<u32>;
  /** -m^-1 mod 2^32 */
  readonly mPrime: u32;
  /** R^2 mod m, R = 2^(32k): multiplying by it enters Montgomery form. */
  readonly r2: StaticArray<u32>;
  /** R mod m: 1 in Montgomery form. */
  readonly one: StaticArray<u32>;
  private readonly t: StaticArray<u32>;
  private readonly plainOne: StaticArray<u32>;

  constructor(modulus: StaticArray<u32>) {
    const k = modulus.length;
    // Newton iteration doubles the correct low bits each step: 5 steps give 32.
    const m0 = modulus[0];
    let inv: u32 = 1;
    for (let i = 0; i < 5; i++) inv = inv * (2 - m0 * inv);
    // R mod m and R^2 mod m by repeated doubling from 1: slow (once per key) but needs no division.
    const x = new StaticArray<u32>(k);
    x[0] = 1;
    for (let i = 0; i < 32 * k; i++) doubleMod(x, modulus);
    const one = new StaticArray<u32>(k);
    copy(one, x);
    for (let i = 0; i < 32 * k; i++) doubleMod(x, modulus);
    const plainOne = new StaticArray<u32>(k);
    plainOne[0] = 1;
    this.k = k;
    this.m = modulus;
    this.mPrime = 0 - inv;
    this.r2 = x;
    this.one = one;
    this.plainOne = plainOne;
    this.t = new StaticArray<u32>(k + 2);
  }

  /** out = a * b * R^-1 mod m. `out` may alias a or b. */
  mul(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const k = this.k;
    const t = this.t;
    const m = this.m;
    for (let i = 0; i < k + 2; i++) unchecked(t[i] = 0);
    for (let i = 0; i < k; i++) {
      const bi = <u64>unchecked(b[i]);
      let c: u64 = 0;
      for (let j = 0; j < k; j++) {
        const s = <u64>unchecked(t[j]) + <u64>unchecked(a[j]) * bi + c;
        unchecked(t[j] = <u32>s);
        c = s >>> 32;
      }
      let s = <u64>unchecked(t[k]) + c;
      unchecked(t[k] = <u32>s);
      unchecked(t[k + 1] = <u32>(s >>> 32));
      const q = <u64>(unchecked(t[0]) * this.mPrime);
      s = <u64>unchecked(t[0]) + q * <u64>unchecked(m[0]);
      c = s >>> 32;
      for (let j = 1; j < k; j++) {
        s = <u64>unchecked(t[j]) + q * <u64>unchecked(m[j]) + c;
        unchecked(t[j - 1] = <u32>s);
        c = s >>> 32;
      }
      s = <u64>unchecked(t[k]) + c;
      unchecked(t[k - 1] = <u32>s);
      unchecked(t[k] = unchecked(t[k + 1]) + <u32>(s >>> 32));
    }
    // t < 2m: one conditional subtraction brings it below m.
    let geq = unchecked(t[k]) != 0;
    if (!geq) {
      geq = true;
      for (let i = k - 1; i >= 0; i--) {
        const ti = unchecked(t[i]), mi = unchecked(m[i]);
        if (ti != mi) { geq = ti > mi; break; }
      }
    }
    if (geq) {
      let borrow: i64 = 0;
      for (let i = 0; i < k; i++) {
        const d = <i64>unchecked(t[i]) - <i64>unchecked(m[i]) + borrow;
        unchecked(out[i] = <u32>d);
        borrow = d >> 32;
      }
    } else {
      for (let i = 0; i < k; i++) unchecked(out[i] = unchecked(t[i]));
    }
  }

  toMont(out: StaticArray<u32>, a: StaticArray<u32>): void { this.mul(out, a, this.r2); }
  fromMont(out: StaticArray<u32>, a: StaticArray<u32>): void { this.mul(out, a, this.plainOne); }

  /** out = a + b mod m (a, b < m). */
  add(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const k = this.k;
    let carry: u64 = 0;
    for (let i = 0; i < k; i++) {
      const s = <u64>unchecked(a[i]) + <u64>unchecked(b[i]) + carry;
      unchecked(out[i] = <u32>s);
      carry = s >>> 32;
    }
    if (carry != 0 || compare(out, this.m) >= 0) subInPlace(out, this.m);
  }

  /** out = a - b mod m (a, b < m). */
  sub(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const k = this.k;
    let borrow: i64 = 0;
    for (let i = 0; i < k; i++) {
      const d = <i64>unchecked(a[i]) - <i64>unchecked(b[i]) + borrow;
      unchecked(out[i] = <u32>d);
      borrow = d >> 32;
    }
    if (borrow != 0) {
      let carry: u64 = 0;
      for (let i = 0; i < k; i++) {
        const s = <u64>unchecked(out[i]) + <u64>unchecked(this.m[i]) + carry;
        unchecked(out[i] = <u32>s);
        carry = s >>> 32;
      }
    }
  }

  /** out = base^exp (base and out in Montgomery form; exp a plain little-endian number). */
  pow(out: StaticArray<u32>, base: StaticArray<u32>, exp: StaticArray<u32>): void {
    const acc = new StaticArray<u32>(this.k);
    copy(acc, this.one);
    let top = exp.length * 32 - 1;
    // Skip leading zero bits: e = 65537 in a 64-bit slot would otherwise cost 47 useless squarings.
    while (top >= 0 && ((unchecked(exp[top >>> 5]) >>> (<u32>top & 31)) & 1) == 0) top--;
    for (let i = top; i >= 0; i--) {
      this.mul(acc, acc, acc);
      if (((unchecked(exp[i >>> 5]) >>> (<u32>i & 31)) & 1) != 0) this.mul(acc, acc, base);
    }
    copy(out, acc);
  }
}

/** -1, 0 or 1 as a <, =, > b (same length). */
export function compare(a: StaticArray<u32>, b: StaticArray<u32>): i32 {
  for (let i = a.length - 1; i >= 0; i--) {
    const x = unchecked(a[i]), y = unchecked(b[i]);
    if (x != y) return x > y ? 1 : -1;
  }
  return 0;
}

export function isZero(a: StaticArray<u32>): bool {
  for (let i = 0; i < a.length; i++) if (unchecked(a[i]) != 0) return false;
  return true;
}

/** x = 2x mod m, for x < m. */
function doubleMod(x: StaticArray<u32>, m: StaticArray<u32>): void {
  let carry: u32 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = unchecked(x[i]);
    unchecked(x[i] = (v << 1) | carry);
    carry = v >>> 31;
  }
  if (carry != 0 || compare(x, m) >= 0) subInPlace(x, m);
}

function subInPlace(x: StaticArray<u32>, m: StaticArray<u32>): void {
  let borrow: i64 = 0;
  for (let i = 0; i < x.length; i++) {
    const d = <i64>unchecked(x[i]) - <i64>unchecked(m[i]) + borrow;
    unchecked(x[i] = <u32>d);
    borrow = d >> 32;
  }
}

export function copy(dst: StaticArray<u32>, src: StaticArray<u32>): void {
  for (let i = 0; i < dst.length; i++) unchecked(dst[i] = unchecked(src[i]));
}

/** Big-endian bytes to `limbs` little-endian limbs; null when the value does not fit. */
export function fromBytes(bytes: Uint8Array, limbs: i32): StaticArray<u32> | null {
  let start = 0;
  while (start < bytes.length && bytes[start] == 0) start++;
  if (bytes.length - start > limbs * 4) return null;
  const out = new StaticArray<u32>(limbs);
  for (let i = 0; i < bytes.length - start; i++) {
    const b = <u32>bytes[bytes.length - 1 - i];
    out[i >>> 2] |= b << (<u32>(i & 3) * 8);
  }
  return out;
}

/** Little-endian limbs to big-endian bytes of length `len`. */
export function toBytes(a: StaticArray<u32>, len: i32): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const limb = i >>> 2;
    out[len - 1 - i] = limb < a.length ? <u8>(a[limb] >>> (<u32>(i & 3) * 8)) : 0;
  }
  return out;
}
