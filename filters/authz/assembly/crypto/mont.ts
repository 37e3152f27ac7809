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
    // Raw loads and stores: with shrinkLevel 2, asc leaves StaticArray accessors as calls, which
    // made this loop five times slower.
    const k = <usize>this.k;
    const t = changetype<usize>(this.t);
    const m = changetype<usize>(this.m);
    const ap = changetype<usize>(a);
    const bp = changetype<usize>(b);
    const mPrime = this.mPrime;
    memory.fill(t, 0, (k + 2) << 2);
    for (let i: usize = 0; i < k; i++) {
      const bi = <u64>load<u32>(bp + (i << 2));
      let c: u64 = 0;
      for (let j: usize = 0; j < k; j++) {
        const s = <u64>load<u32>(t + (j << 2)) + <u64>load<u32>(ap + (j << 2)) * bi + c;
        store<u32>(t + (j << 2), <u32>s);
        c = s >>> 32;
      }
      let s = <u64>load<u32>(t + (k << 2)) + c;
      store<u32>(t + (k << 2), <u32>s);
      store<u32>(t + ((k + 1) << 2), <u32>(s >>> 32));
      const t0 = load<u32>(t);
      const q = <u64>(t0 * mPrime);
      s = <u64>t0 + q * <u64>load<u32>(m);
      c = s >>> 32;
      for (let j: usize = 1; j < k; j++) {
        s = <u64>load<u32>(t + (j << 2)) + q * <u64>load<u32>(m + (j << 2)) + c;
        store<u32>(t + ((j - 1) << 2), <u32>s);
        c = s >>> 32;
      }
      s = <u64>load<u32>(t + (k << 2)) + c;
      store<u32>(t + ((k - 1) << 2), <u32>s);
      store<u32>(t + (k << 2), load<u32>(t + ((k + 1) << 2)) + <u32>(s >>> 32));
    }
    // t < 2m: one conditional subtraction brings it below m.
    let geq = load<u32>(t + (k << 2)) != 0;
    if (!geq) {
      geq = true;
      for (let i = <isize>k - 1; i >= 0; i--) {
        const ti = load<u32>(t + (<usize>i << 2)), mi = load<u32>(m + (<usize>i << 2));
        if (ti != mi) { geq = ti > mi; break; }
      }
    }
    const op = changetype<usize>(out);
    if (geq) {
      let borrow: i64 = 0;
      for (let i: usize = 0; i < k; i++) {
        const d = <i64>load<u32>(t + (i << 2)) - <i64>load<u32>(m + (i << 2)) + borrow;
        store<u32>(op + (i << 2), <u32>d);
        borrow = d >> 32;
      }
    } else {
      memory.copy(op, t, k << 2);
    }
  }

  toMont(out: StaticArray<u32>, a: StaticArray<u32>): void { this.mul(out, a, this.r2); }
  fromMont(out: StaticArray<u32>, a: StaticArray<u32>): void { this.mul(out, a, this.plainOne); }

  /** out = a + b mod m (a, b < m). */
  add(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const k = <usize>this.k;
    const ap = changetype<usize>(a), bp = changetype<usize>(b), op = changetype<usize>(out);
    let carry: u64 = 0;
    for (let i: usize = 0; i < k; i++) {
      const s = <u64>load<u32>(ap + (i << 2)) + <u64>load<u32>(bp + (i << 2)) + carry;
      store<u32>(op + (i << 2), <u32>s);
      carry = s >>> 32;
    }
    if (carry != 0 || compare(out, this.m) >= 0) subInPlace(out, this.m);
  }

  /** out = a - b mod m (a, b < m). */
  sub(out: StaticArray<u32>, a: StaticArray<u32>, b: StaticArray<u32>): void {
    const k = <usize>this.k;
    const ap = changetype<usize>(a), bp = changetype<usize>(b), op = changetype<usize>(out);
    let borrow: i64 = 0;
    for (let i: usize = 0; i < k; i++) {
      const d = <i64>load<u32>(ap + (i << 2)) - <i64>load<u32>(bp + (i << 2)) + borrow;
      store<u32>(op + (i << 2), <u32>d);
      borrow = d >> 32;
    }
    if (borrow != 0) {
      const mp = changetype<usize>(this.m);
      let carry: u64 = 0;
      for (let i: usize = 0; i < k; i++) {
        const s = <u64>load<u32>(op + (i << 2)) + <u64>load<u32>(mp + (i << 2)) + carry;
        store<u32>(op + (i << 2), <u32>s);
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
  const ap = changetype<usize>(a), bp = changetype<usize>(b);
  for (let i = a.length - 1; i >= 0; i--) {
    const x = load<u32>(ap + (<usize>i << 2)), y = load<u32>(bp + (<usize>i << 2));
    if (x != y) return x > y ? 1 : -1;
  }
  return 0;
}

export function isZero(a: StaticArray<u32>): bool {
  const ap = changetype<usize>(a);
  for (let i = 0; i < a.length; i++) if (load<u32>(ap + (<usize>i << 2)) != 0) return false;
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
  memory.copy(changetype<usize>(dst), changetype<usize>(src), <usize>dst.length << 2);
}

/** Significant bytes of a big-endian number: its length without leading zero bytes. */
export function significantBytes(bytes: Uint8Array): i32 {
  return significantIn(bytes, 0, bytes.length);
}

/** significantBytes of the number in bytes[start, end). */
function significantIn(bytes: Uint8Array, start: i32, end: i32): i32 {
  while (start < end && bytes[start] == 0) start++;
  return end - start;
}

/**
 * Big-endian bytes to `limbs` little-endian limbs. Callers check the value fits (at most
 * `limbs * 4` significant bytes); bytes above that are dropped.
 */
export function fromBytes(bytes: Uint8Array, limbs: i32): StaticArray<u32> {
  return fromBytesAt(bytes, 0, bytes.length, limbs);
}

/** fromBytes of the `length` bytes at `offset` (within `bytes`), without a subarray view. */
export function fromBytesAt(bytes: Uint8Array, offset: i32, length: i32, limbs: i32): StaticArray<u32> {
  const out = new StaticArray<u32>(limbs);
  const end = offset + length;
  const n = min(significantIn(bytes, offset, end), limbs * 4);
  for (let i = 0; i < n; i++) {
    const b = <u32>bytes[end - 1 - i];
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
