// What the data compression pass needs to know about a module, read from its binary: function
// types, imports, how many functions it defines, its memories, whether it has a start function,
// its exports and its data segments. Reads only the sections it names and skips the others.

import { Reader, SECTION, type Section, readSections } from './wasm-binary.js';

/** Value types by their binary code; a function type using any other is not read. */
export const VALUE_TYPES: Record<number, string> = {
  127: 'i32',
  126: 'i64',
  125: 'f32',
  124: 'f64',
  123: 'v128',
  112: 'funcref',
  111: 'externref',
};

export const EXTERNAL = { function: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

export interface FunctionType {
  params: number[];
  results: number[];
}
export interface Import {
  module: string;
  name: string;
  kind: number;
  typeIndex: number;
}
export interface Memory {
  imported: boolean;
  shared: boolean;
  memory64: boolean;
  minPages: number;
}
export interface Export {
  name: string;
  kind: number;
  index: number;
}
/** An active data segment of memory 0 at a constant offset. */
export interface DataSegment {
  offset: number;
  bytes: Uint8Array;
}

export interface ModuleShape {
  sections: Section[];
  /** Null when the type section holds more than plain function types (GC proposal forms). */
  types: FunctionType[] | null;
  imports: Import[];
  importedFunctions: number;
  definedFunctions: number;
  memories: Memory[];
  hasStart: boolean;
  exports: Export[];
  /** The data segments, or why they are not all of the kind `DataSegment` describes. */
  data: DataSegment[] | string;
}

/** Reads a module's shape. Throws on bytes that do not parse. */
export function readModuleShape(module: Uint8Array): ModuleShape {
  const sections = readSections(module);
  const payload = (id: number) => {
    const s = sections.find((x) => x.id === id);
    return s ? new Reader(module, s.start) : null;
  };
  const shape: ModuleShape = {
    sections,
    types: [],
    imports: [],
    importedFunctions: 0,
    definedFunctions: 0,
    memories: [],
    hasStart: sections.some((s) => s.id === SECTION.start),
    exports: [],
    data: [],
  };

  const types = payload(SECTION.type);
  if (types) shape.types = readTypes(types);

  const imports = payload(SECTION.import);
  for (let i = 0, count = imports?.u32() ?? 0; i < count; i++) {
    const r = imports!;
    const entry: Import = { module: r.name(), name: r.name(), kind: r.byte(), typeIndex: -1 };
    switch (entry.kind) {
      case EXTERNAL.function:
        entry.typeIndex = r.u32();
        shape.importedFunctions++;
        break;
      case EXTERNAL.table:
        r.byte();
        readLimits(r);
        break;
      case EXTERNAL.memory:
        shape.memories.push({ imported: true, ...readLimits(r) });
        break;
      case EXTERNAL.global:
        r.byte();
        r.byte();
        break;
      case EXTERNAL.tag:
        r.byte();
        r.u32();
        break;
      default:
        throw new Error(`import ${entry.module}.${entry.name} has unknown kind ${entry.kind}`);
    }
    shape.imports.push(entry);
  }

  shape.definedFunctions = payload(SECTION.function)?.u32() ?? 0;

  const memories = payload(SECTION.memory);
  for (let i = 0, count = memories?.u32() ?? 0; i < count; i++)
    shape.memories.push({ imported: false, ...readLimits(memories!) });

  const exports = payload(SECTION.export);
  for (let i = 0, count = exports?.u32() ?? 0; i < count; i++) {
    const r = exports!;
    shape.exports.push({ name: r.name(), kind: r.byte(), index: r.u32() });
  }

  const data = payload(SECTION.data);
  if (data) shape.data = readDataSegments(data);
  return shape;
}

function readTypes(r: Reader): FunctionType[] | null {
  const types: FunctionType[] = [];
  const valueTypes = () => {
    const list: number[] = [];
    for (let i = 0, count = r.u32(); i < count; i++) {
      const t = r.byte();
      if (!(t in VALUE_TYPES)) return null;
      list.push(t);
    }
    return list;
  };
  for (let i = 0, count = r.u32(); i < count; i++) {
    if (r.byte() !== 0x60) return null;
    const params = valueTypes();
    const results = params && valueTypes();
    if (!params || !results) return null;
    types.push({ params, results });
  }
  return types;
}

function readLimits(r: Reader): { shared: boolean; memory64: boolean; minPages: number } {
  const flags = r.byte();
  const minPages = r.u32();
  if (flags & 1) r.u32();
  return { shared: (flags & 2) !== 0, memory64: (flags & 4) !== 0, minPages };
}

function readDataSegments(r: Reader): DataSegment[] | string {
  const segments: DataSegment[] = [];
  for (let i = 0, count = r.u32(); i < count; i++) {
    const flags = r.u32();
    if (flags === 1) return `data segment ${i} is passive`;
    if (flags === 2 && r.u32() !== 0) return `data segment ${i} is for a memory other than memory 0`;
    if (flags !== 0 && flags !== 2) return `data segment ${i} has flags ${flags}`;
    if (r.byte() !== 0x41) return `data segment ${i} has an offset that is not an i32.const`;
    const offset = r.i32() >>> 0;
    if (r.byte() !== 0x0b) return `data segment ${i} has an offset that is not an i32.const`;
    const length = r.u32();
    segments.push({ offset, bytes: r.buf.subarray(r.pos, r.pos + length) });
    r.pos += length;
  }
  return segments;
}
