// Just enough of the WebAssembly binary format for the builder's passes over asc's output:
// LEB128 numbers and the section list.

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos: number,
  ) {
    this.pos = pos;
  }
  byte(): number {
    return this.buf[this.pos++]!;
  }
  u32(): number {
    let result = 0,
      shift = 0,
      b: number;
    do {
      b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }
  i32(): number {
    let result = 0,
      shift = 0,
      b: number;
    do {
      b = this.buf[this.pos++]!;
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }
  /** A length-prefixed UTF-8 name. */
  name(): string {
    const length = this.u32();
    const text = Buffer.from(this.buf.subarray(this.pos, this.pos + length)).toString('utf8');
    this.pos += length;
    return text;
  }
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

export function sleb(n: number): number[] {
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

/** A section: its id, where its id byte is (`head`), and where its payload starts and ends. */
export interface Section {
  id: number;
  head: number;
  start: number;
  end: number;
}

export const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;

/** The sections of a module, in file order. Throws on a section that runs past the end. */
export function readSections(module: Uint8Array): Section[] {
  const sections: Section[] = [];
  const r = new Reader(module, 8);
  while (r.pos < module.length) {
    const head = r.pos;
    const id = r.byte();
    const size = r.u32();
    if (r.pos + size > module.length) throw new Error(`section ${id} at byte ${head} runs past the end of the module`);
    sections.push({ id, head, start: r.pos, end: r.pos + size });
    r.pos += size;
  }
  return sections;
}

/** A whole section: id, payload size, payload. */
export function encodeSection(id: number, payload: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.from([id, ...uleb(payload.length)]), payload]);
}

/** Where each non-custom section goes, by id, in the order the binary format requires. */
const SECTION_ORDER = [
  SECTION.type,
  SECTION.import,
  SECTION.function,
  SECTION.table,
  SECTION.memory,
  SECTION.tag,
  SECTION.global,
  SECTION.export,
  SECTION.start,
  SECTION.element,
  SECTION.dataCount,
  SECTION.code,
  SECTION.data,
];
const rank = (id: number) => SECTION_ORDER.indexOf(id as (typeof SECTION_ORDER)[number]);

/**
 * The module with some sections changed: `replace` gives a section's new bytes (id and size
 * included), null to drop it, or undefined to keep it; `add` holds whole new sections by id,
 * each placed where the format orders it (after custom sections that precede its successor).
 */
export function rebuildModule(
  module: Uint8Array,
  sections: Section[],
  replace: (s: Section) => Uint8Array | null | undefined,
  add: Map<number, Uint8Array> = new Map(),
): Uint8Array {
  const pending = [...add].sort(([a], [b]) => rank(a) - rank(b));
  const out: Uint8Array[] = [module.subarray(0, 8)];
  for (const s of sections) {
    while (s.id !== SECTION.custom && pending.length && rank(pending[0]![0]) < rank(s.id))
      out.push(pending.shift()![1]);
    const replacement = replace(s);
    if (replacement !== null) out.push(replacement ?? module.subarray(s.head, s.end));
  }
  for (const [, bytes] of pending) out.push(bytes);
  return Buffer.concat(out);
}
