// Merges a module's neighbouring data segments when the zero bytes between them cost less than a
// segment header. asc emits one segment per static object (every string literal is one) and
// Binaryen's memory packing only splits segments at long zero runs, never joins them, so a
// filter with a few hundred strings pays ~7 header bytes per string even where 1 to 5 zero
// bytes of padding would join two. The memory image is unchanged: the joined bytes are the
// zeros that linear memory holds there anyway. Only the data section and the count in the data
// count section change; the count keeps its byte width, so the code section stays at the same
// offsets and source maps stay valid.

import { Reader, SECTION, readSections, sleb, uleb } from './wasm-binary.js';

interface Segment {
  offset: number;
  bytes: Uint8Array;
}

/** `n` as a LEB128 of exactly `width` bytes (valid with redundant continuation bytes). */
function paddedUleb(n: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    out[i] = (n & 0x7f) | (i < width - 1 ? 0x80 : 0);
    n = Math.floor(n / 128);
  }
  return out;
}

/** Bytes a segment takes in the data section besides its payload. */
function headerCost(s: Segment, length: number): number {
  return 1 + 1 + sleb(s.offset).length + 1 + uleb(length).length; // flags, i32.const, offset, end, length
}

/**
 * Returns the module with adjacent active data segments joined where that is smaller, or the
 * module itself when it has nothing to join or a data layout this pass does not handle
 * (passive segments, a non-constant or unsorted offset, a second memory).
 */
export function packDataSegments(module: Uint8Array): Uint8Array {
  const sections = readSections(module);
  const data = sections.find((s) => s.id === SECTION.data);
  if (!data) return module;

  const segments: Segment[] = [];
  const d = new Reader(module, data.start);
  const count = d.u32();
  for (let i = 0; i < count; i++) {
    if (d.u32() !== 0) return module; // only active segments of memory 0 with an i32.const offset
    if (module[d.pos++] !== 0x41) return module;
    const offset = d.i32();
    if (module[d.pos++] !== 0x0b) return module;
    const length = d.u32();
    segments.push({ offset, bytes: module.subarray(d.pos, d.pos + length) });
    d.pos += length;
  }
  if (d.pos !== data.end) return module;
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1]!;
    if (segments[i]!.offset < prev.offset + prev.bytes.length || prev.offset < 0) return module;
  }

  const merged: Segment[] = [];
  for (const s of segments) {
    const last = merged[merged.length - 1];
    if (last) {
      const gap = s.offset - (last.offset + last.bytes.length);
      const joinedLength = last.bytes.length + gap + s.bytes.length;
      const separate =
        headerCost(last, last.bytes.length) + headerCost(s, s.bytes.length) + last.bytes.length + s.bytes.length;
      const joined = headerCost(last, joinedLength) + joinedLength;
      if (joined < separate) {
        const bytes = new Uint8Array(joinedLength);
        bytes.set(last.bytes, 0);
        bytes.set(s.bytes, last.bytes.length + gap);
        last.bytes = bytes;
        continue;
      }
    }
    merged.push({ offset: s.offset, bytes: s.bytes });
  }
  if (merged.length === segments.length) return module;

  const body: number[] = [...uleb(merged.length)];
  const parts: Uint8Array[] = [];
  for (const s of merged) {
    body.push(0, 0x41, ...sleb(s.offset), 0x0b, ...uleb(s.bytes.length));
    parts.push(Uint8Array.from(body.splice(0)), s.bytes);
  }
  const payload = Buffer.concat(parts);
  const newData = Buffer.concat([Uint8Array.of(11, ...uleb(payload.length)), payload]);
  const out: Uint8Array[] = [module.subarray(0, 8)];
  for (const s of sections) {
    if (s.id === SECTION.data) out.push(newData);
    else if (s.id === SECTION.dataCount)
      out.push(module.subarray(s.head, s.start), paddedUleb(merged.length, s.end - s.start));
    else out.push(module.subarray(s.head, s.end));
  }
  return Buffer.concat(out);
}
