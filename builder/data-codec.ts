// The compressed form of a module's static memory image, and its encoder. The decoder that runs
// in the module is builder/expand-function.ts; `expandImage` here is the same algorithm in
// TypeScript, for tests and for reading a blob.
//
// An AssemblyScript image is mostly string literals: UTF-16 text whose every other byte is 0,
// 20-byte object headers of small little-endian integers, and zero padding to 16 bytes. The
// format is a byte-oriented LZ77 tuned for that, chosen by measuring a few candidates on the
// shipped filters (see docs/decisions.md): a 1-byte token, then the token's operand bytes.
//
//   token      n = (token & 31) + 1
//   000nnnnn   skip n bytes (they stay 0: the decoder writes into zeroed memory)
//   010nnnnn   literal: the next n bytes
//   100nnnnn   wide literal: the next n bytes, each followed by a 0 byte (2n bytes out)
//   110nnnnn   far match: copy n bytes from `offset` bytes back; the u16 LE offset follows
//   hh1nnnnn   near match: copy n bytes from 2u bytes back, u = hh | next byte << 2 (1 to 1023),
//              so one operand byte reaches 2046 bytes back, at even distances
//
// Matches copy forwards one byte at a time, so a match may overlap the bytes it writes (offset 2,
// length 32 repeats a 2-byte pattern). Distances are counted in output bytes. Text is mostly at
// even distances from its repeats (objects are 16-byte aligned, characters 2 bytes), which is why
// the near match spends its bits on 2-byte units. The decoder reads each token as a u16 (token and
// the byte after it), so one byte past the blob must be readable.

const RUN = 32;
const NEAR_UNITS = 1023;
const FAR_OFFSET = 0xffff;
/** Candidate positions a match search visits per input position; past that, gains are marginal. */
const CHAIN_LIMIT = 4096;

export const TOKEN = { skip: 0x00, literal: 0x40, wide: 0x80, far: 0xc0, near: 0x20 } as const;

type Step =
  | { kind: 'skip' | 'literal' | 'wide'; length: number }
  | { kind: 'near' | 'far'; length: number; offset: number };

/** Compresses `image` (the bytes of linear memory from the first data segment to the last). */
export function encodeImage(image: Uint8Array): Uint8Array {
  // The decoder runs at least one token: an empty blob would have it read past its end.
  if (image.length === 0) throw new Error('encodeImage: the image is empty');
  const steps = cheapestSteps(image);
  const out: number[] = [];
  let pos = 0;
  for (const s of steps) {
    const n = s.length - 1;
    switch (s.kind) {
      case 'skip':
        out.push(TOKEN.skip | n);
        pos += s.length;
        break;
      case 'literal':
        out.push(TOKEN.literal | n, ...image.subarray(pos, pos + s.length));
        pos += s.length;
        break;
      case 'wide':
        out.push(TOKEN.wide | n);
        for (let i = 0; i < s.length; i++) out.push(image[pos + 2 * i]!);
        pos += 2 * s.length;
        break;
      case 'far':
        out.push(TOKEN.far | n, s.offset & 0xff, s.offset >> 8);
        pos += s.length;
        break;
      case 'near': {
        const units = s.offset >> 1;
        out.push(TOKEN.near | n | ((units & 3) << 6), units >> 2);
        pos += s.length;
        break;
      }
    }
  }
  return Uint8Array.from(out);
}

/**
 * The decoder, step for step as the wasm one runs it: returns the `length` bytes the blob
 * expands to. Throws on a blob that reads or writes outside its bounds (the encoder never
 * writes one).
 */
export function expandImage(blob: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let src = 0,
    dst = 0;
  const at = (i: number) => {
    if (i >= blob.length) throw new Error(`blob read past its end at ${i}`);
    return blob[i]!;
  };
  while (src < blob.length) {
    const token = at(src++);
    const n = (token & 31) + 1;
    let from = -1,
      step = 1;
    if (token & 0x20) {
      from = dst - 2 * ((token >> 6) | (at(src++) << 2));
    } else if ((token & 0xc0) === TOKEN.far) {
      from = dst - (at(src) | (at(src + 1) << 8));
      src += 2;
    } else if ((token & 0xc0) !== TOKEN.skip) {
      step = (token & 0xc0) === TOKEN.wide ? 2 : 1;
      for (let i = 0; i < n; i++) out[dst + i * step] = at(src + i);
      src += n;
    }
    if (from !== -1) {
      if (from < 0 || from >= dst) throw new Error(`match at output ${dst} reaches outside the image`);
      for (let i = 0; i < n; i++) out[dst + i] = out[from + i]!;
    }
    dst += n * step;
    if (dst > length) throw new Error(`blob expands past ${length} bytes`);
  }
  return out;
}

const KINDS = ['skip', 'literal', 'wide', 'near', 'far'] as const;

/** The sequence of steps with the fewest encoded bytes (shortest path over positions). */
function cheapestSteps(image: Uint8Array): Step[] {
  const size = image.length;
  const zeros = new Int32Array(size + 1); // zero bytes starting at each position
  for (let i = size - 1; i >= 0; i--) zeros[i] = image[i] === 0 ? zeros[i + 1]! + 1 : 0;
  const matches = longestMatches(image, zeros);

  // cost[i]: fewest bytes encoding image[i..]; the first step there is kind[i] (index into
  // KINDS) of length[i] (characters for a wide literal, bytes otherwise).
  const cost = new Float64Array(size + 1);
  const kind = new Uint8Array(size);
  const length = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    let best = Infinity;
    const take = (bytes: number, k: number, n: number) => {
      if (bytes < best) {
        best = bytes;
        kind[i] = k;
        length[i] = n;
      }
    };
    for (let n = 1; n <= RUN && i + n <= size; n++) {
      if (n <= zeros[i]!) take(1 + cost[i + n]!, 0, n);
      take(1 + n + cost[i + n]!, 1, n);
      if (n <= matches.nearLength[i]!) take(2 + cost[i + n]!, 3, n);
      if (n <= matches.farLength[i]!) take(3 + cost[i + n]!, 4, n);
    }
    for (let n = 1; n <= RUN && i + 2 * n <= size && image[i + 2 * n - 1] === 0; n++)
      take(1 + n + cost[i + 2 * n]!, 2, n);
    cost[i] = best;
  }
  const steps: Step[] = [];
  for (let i = 0; i < size; ) {
    const k = KINDS[kind[i]!]!,
      n = length[i]!;
    if (k === 'near' || k === 'far')
      steps.push({ kind: k, length: n, offset: k === 'near' ? matches.nearOffset[i]! : matches.farOffset[i]! });
    else steps.push({ kind: k, length: n });
    i += k === 'wide' ? 2 * n : n;
  }
  return steps;
}

interface Matches {
  nearLength: Int32Array;
  nearOffset: Int32Array;
  farLength: Int32Array;
  farOffset: Int32Array;
}

/**
 * For each position, the longest earlier repeat (up to RUN bytes) within the near match's reach
 * (even distance up to 2046) and within the far match's (up to 65535). Near candidates are every
 * earlier position in reach starting with the same two bytes; far candidates, the nearest
 * CHAIN_LIMIT whose four bytes hash alike (a far match shorter than 4 bytes saves nothing).
 * `zeros[i]` is the number of zero bytes from position i on.
 */
function longestMatches(image: Uint8Array, zeros: Int32Array): Matches {
  const size = image.length;
  const m: Matches = {
    nearLength: new Int32Array(size),
    nearOffset: new Int32Array(size),
    farLength: new Int32Array(size),
    farOffset: new Int32Array(size),
  };
  /** How many bytes at j repeat at i, if more than `best` (a quick look at byte `best` first). */
  const longer = (i: number, j: number, best: number) => {
    const limit = Math.min(RUN, size - i);
    if (best >= limit || image[j + best] !== image[i + best]) return 0;
    let length = 0;
    while (length < limit && image[j + length] === image[i + length]) length++;
    return length > best ? length : 0;
  };
  // Near matches are at even distances: positions are chained by their two bytes and parity.
  const pairs = new Chains(size, 0x20000);
  const quads = new Chains(size, 0x10000);
  for (let i = 0; i + 1 < size; i++) {
    // Deep in a run of zeros a match would copy nothing but zeros, which a skip does for less;
    // leaving those positions out also keeps the chains of zero keys short.
    if (zeros[i]! > RUN) continue;
    const pair = image[i]! | (image[i + 1]! << 8) | ((i & 1) << 16);
    for (let j = pairs.first(pair); j >= 0 && i - j <= 2 * NEAR_UNITS; j = pairs.next(j)) {
      const length = longer(i, j, m.nearLength[i]!);
      if (length) {
        m.nearLength[i] = length;
        m.nearOffset[i] = i - j;
      }
      if (length === RUN) break; // the nearest of the longest
    }
    pairs.add(pair, i);
    if (i + 3 >= size) continue;
    const quad =
      Math.imul(image[i]! | (image[i + 1]! << 8) | (image[i + 2]! << 16) | (image[i + 3]! << 24), 0x9e3779b1) >>> 16;
    for (
      let j = quads.first(quad), visited = 0;
      j >= 0 && i - j <= FAR_OFFSET && visited < CHAIN_LIMIT;
      j = quads.next(j), visited++
    ) {
      const length = longer(i, j, m.farLength[i]!);
      if (length) {
        m.farLength[i] = length;
        m.farOffset[i] = i - j;
      }
      if (length === RUN) break;
    }
    quads.add(quad, i);
  }
  return m;
}

/** Earlier positions by key, most recent first. */
class Chains {
  private readonly head: Int32Array;
  private readonly previous: Int32Array;
  constructor(size: number, keys: number) {
    this.head = new Int32Array(keys).fill(-1);
    this.previous = new Int32Array(size).fill(-1);
  }
  first(key: number): number {
    return this.head[key]!;
  }
  next(position: number): number {
    return this.previous[position]!;
  }
  add(key: number, position: number): void {
    this.previous[position] = this.head[key]!;
    this.head[key] = position;
  }
}
