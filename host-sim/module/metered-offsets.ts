import { codeLayout, type CodeLayout } from './code-layout.js';

/**
 * Takes a byte offset in the metered module (module/meter.ts) back to the module as built, so a
 * trap in a metered VM maps through the build's source map. Metering only adds code (a countdown
 * at function entries, loop headers and returns, and one import that shifts call indices by one),
 * so a function's metered body is its built body with insertions and a few changed bytes: a
 * shortest edit script between the two (Myers' diff, over bytes) pairs each kept byte with its
 * original. Functions are matched by name (the meter keeps the name section). Computed per
 * function on the first trap in it, never on the hot path.
 */
export class MeteredOffsets {
  private readonly original: CodeLayout;
  private readonly metered: CodeLayout;
  private readonly originalIndexByName = new Map<string, number>();
  private readonly aligned = new Map<number, Int32Array | undefined>();

  constructor(
    private readonly originalBytes: Uint8Array,
    originalNames: Map<number, string>,
    private readonly meteredBytes: Uint8Array,
    private readonly meteredNames: Map<number, string>,
  ) {
    this.original = codeLayout(originalBytes);
    this.metered = codeLayout(meteredBytes);
    for (const [idx, name] of originalNames) this.originalIndexByName.set(name, idx);
  }

  /** The offset in the built module of the instruction at `offset` of metered function `fn`. */
  toOriginal(fn: number, offset: number): number | undefined {
    const body = this.metered.bodies[fn - this.metered.importedFunctions];
    if (!body || offset < body.start || offset >= body.end) return undefined;
    const name = this.meteredNames.get(fn);
    const ofn = name === undefined ? undefined : this.originalIndexByName.get(name);
    if (ofn === undefined) return undefined;
    const obody = this.original.bodies[ofn - this.original.importedFunctions];
    if (!obody) return undefined;
    if (!this.aligned.has(fn)) {
      this.aligned.set(
        fn,
        alignBytes(
          this.meteredBytes.subarray(body.start, body.end),
          this.originalBytes.subarray(obody.start, obody.end),
        ),
      );
    }
    const map = this.aligned.get(fn);
    const rel = map?.[offset - body.start];
    return rel === undefined || rel < 0 ? undefined : obody.start + rel;
  }
}

/** Beyond this many edits a function is left unmapped (its frame keeps its name). */
const MAX_EDITS = 2000;

/**
 * For each byte of `a`, the index of the byte of `b` it is kept as, or for a byte only `a` has
 * (inserted code), the next kept byte's index: an inserted countdown reports the original
 * instruction that follows it. Myers' O((N+M)D) diff; undefined beyond MAX_EDITS edits.
 */
export function alignBytes(a: Uint8Array, b: Uint8Array): Int32Array | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // Before step d, the diagonals -d-1..d+1 of v (what the walk back reads), kept per step.
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;
  // Walk the trace back from (n, m), recording the diagonal (kept) steps.
  const out = new Int32Array(n).fill(-1);
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const vd = trace[d]!;
    const at = (k: number) => vd[k + d + 1]!;
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = k;
    else prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      out[x] = y;
    }
    x = prevX;
    y = prevY;
  }
  // Inserted bytes take the next kept byte's original index.
  let next = m;
  for (let i = n - 1; i >= 0; i--) {
    if (out[i]! >= 0) next = out[i]!;
    else out[i] = next < m ? next : -1;
  }
  return out;
}
