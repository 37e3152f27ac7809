import { describe, expect, it } from 'vitest';
import { packDataSegments } from '../../builder/pack-data.js';

// Hand-assembled modules: one memory, the given active data segments, optional data count.
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}
function moduleWith(segments: [number, number[]][], dataCount = true): Uint8Array {
  const data = [...uleb(segments.length)];
  for (const [off, bytes] of segments) data.push(0, 0x41, ...sleb(off), 0x0b, ...uleb(bytes.length), ...bytes);
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(5, [1, 0, 1]), // one memory, min 1 page
    ...(dataCount ? section(12, uleb(segments.length)) : []),
    ...section(11, data),
    ...section(0, [4, ...Buffer.from('name')]),
  ]);
}

/** Linear memory as the module's data leaves it at instantiation (WebAssembly does the copying). */
async function memoryImage(bytes: Uint8Array): Promise<Uint8Array> {
  const mod = await WebAssembly.compile(bytes as BufferSource);
  expect(WebAssembly.Module.imports(mod)).toEqual([]);
  const inst = new WebAssembly.Instance(await WebAssembly.compile(reexport(bytes) as BufferSource));
  return new Uint8Array((inst.exports.mem as WebAssembly.Memory).buffer.slice(0, 4096));
}
/** Inserts an export of memory 0 right after the memory section (id 5). */
function reexport(bytes: Uint8Array): Uint8Array {
  const out: number[] = [...bytes.subarray(0, 8)];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p]!;
    let q = p + 1;
    let size = 0,
      shift = 0,
      b: number;
    do {
      b = bytes[q++]!;
      size |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    out.push(...bytes.subarray(p, q + size));
    if (id === 5) out.push(...section(7, [1, 3, ...Buffer.from('mem'), 2, 0]));
    p = q + size;
  }
  return Uint8Array.from(out);
}

describe('builder data segment packing', () => {
  it('joins segments across short zero gaps, keeps long gaps apart, and leaves linear memory identical', async () => {
    const segments: [number, number[]][] = [
      [1024, [1, 2, 3]],
      [1028, [4, 5]], // 1-byte gap: joined
      [1033, [6]], // 3-byte gap: joined
      [1100, [7, 8, 9, 10]], // 66-byte gap: a segment of its own
      [3000, [11]],
      [3002, [12]], // joined with the one before
    ];
    for (const dataCount of [true, false]) {
      const before = moduleWith(segments, dataCount);
      const after = packDataSegments(before);
      expect(after.length).toBeLessThan(before.length);
      expect(WebAssembly.validate(after as BufferSource)).toBe(true);
      expect(await memoryImage(after)).toEqual(await memoryImage(before));
      // Three segments remain: 1024..1034, 1100..1104, 3000..3003.
      const again = packDataSegments(after);
      expect(again).toBe(after);
    }
  });

  it('keeps everything before the data section at the same offsets when the segment count shrinks', async () => {
    // 200 segments (a 2-byte count) joined into one (a 1-byte count): the count keeps its width,
    // so a code section (and a source map's offsets into it) would not move.
    const many: [number, number[]][] = Array.from({ length: 200 }, (_, i) => [1024 + 2 * i, [i + 1]]);
    const before = moduleWith(many);
    const after = packDataSegments(before);
    const dataStart = 8 + 5 + 4; // magic and version, memory section, data count section (2-byte count)
    expect([before[dataStart], after[dataStart]]).toEqual([11, 11]);
    // Only the count's value changes (200 -> 1, written as 0x81 0x00), not its width.
    expect(Buffer.from(after.subarray(0, dataStart - 2))).toEqual(Buffer.from(before.subarray(0, dataStart - 2)));
    expect([...after.subarray(dataStart - 2, dataStart)]).toEqual([0x81, 0x00]);
    expect(after.length).toBeLessThan(before.length);
    expect(WebAssembly.validate(after as BufferSource)).toBe(true);
    expect(await memoryImage(after)).toEqual(await memoryImage(before));
  });

  it('returns the module untouched when there is nothing to join or no data at all', () => {
    const apart = moduleWith([
      [1024, [1]],
      [2048, [2]],
    ]);
    expect(packDataSegments(apart)).toBe(apart);
    const none = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(packDataSegments(none)).toBe(none);
  });

  it('leaves passive segments alone', () => {
    const passive = Uint8Array.from([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00,
      ...section(5, [1, 0, 1]),
      ...section(12, [2]),
      ...section(11, [2, 1, 1, 7, 1, 1, 8]),
    ]);
    expect(WebAssembly.validate(passive as BufferSource)).toBe(true);
    expect(packDataSegments(passive)).toBe(passive);
  });
});
