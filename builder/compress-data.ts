// Stores a module's static data compressed and expands it at instantiation. asc writes string
// literals as UTF-16 with 20-byte object headers, so two thirds of an AssemblyScript filter's data
// bytes are zeros; the data section is the largest part of a release module after its code.
//
// The output module has one active data segment holding the compressed image (data-codec.ts),
// placed just past the image in memory that nothing uses before start-up (for AssemblyScript, the
// heap, which the allocator sets up later in `_initialize`), and a wasm start function
// (expand-function.ts) that expands it into the image's addresses and zeroes it again. The start
// function runs inside instantiation, before the host can call any export, so from the host's
// point of view linear memory is byte for byte what the original module's would be; that is
// checked here on every module by instantiating both.

import { encodeImage } from './data-codec.js';
import { expandFunctionBody } from './expand-function.js';
import { initialMemory } from './initial-memory.js';
import { EXTERNAL, type DataSegment, type ModuleShape, readModuleShape } from './module-shape.js';
import {
  Reader,
  SECTION,
  type Section,
  encodeSection,
  readSections,
  rebuildModule,
  sleb,
  uleb,
} from './wasm-binary.js';

const PAGE = 65536;
/** The blob's address alignment: where asc would start the heap, past the image. */
const BLOB_ALIGN = 16;
/** The subsection of the name section that names data segments, which no longer exist. */
const DATA_SEGMENT_NAMES = 9;

export interface DataCompression {
  /** The compressed module, or the input itself when `skipped` says why not. */
  module: Uint8Array;
  skipped: string | null;
  /** Size of the data section (header included) before and after. */
  dataBytesBefore: number;
  dataBytesAfter: number;
  /** Bytes of memory the data segments describe, from the first one's start to the last one's end. */
  imageBytes: number;
  /** The compressed image. */
  blobBytes: number;
  /** Everything else the module grew by: the decoder's body, its type, function and start entries. */
  decoderBytes: number;
}

/**
 * Returns the module with its data segments replaced by a compressed image and a start function
 * that expands it, when the module is one this handles (active segments of its one memory at
 * constant offsets, no start function of its own, function imports only) and the result is
 * smaller. Otherwise returns the module itself, with the reason. Throws if the compressed module
 * would start with different memory contents: a bug here, not in the input.
 */
export function compressData(module: Uint8Array): DataCompression {
  let shape: ModuleShape;
  try {
    shape = readModuleShape(module);
  } catch (err) {
    return unchanged(module, 0, `it does not parse (${(err as Error).message})`);
  }
  const dataSection = shape.sections.find((s) => s.id === SECTION.data);
  const dataBytesBefore = dataSection ? dataSection.end - dataSection.head : 0;
  const keep = (reason: string) => unchanged(module, dataBytesBefore, reason);

  const problem = unsupported(shape);
  if (problem) return keep(problem);
  const segments = [...(shape.data as DataSegment[])].sort((a, b) => a.offset - b.offset);
  const memoryBytes = shape.memories[0]!.minPages * PAGE;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.offset + s.bytes.length > memoryBytes)
      return keep(`a data segment ends past the initial memory (${memoryBytes} bytes)`);
    if (i > 0 && s.offset < segments[i - 1]!.offset + segments[i - 1]!.bytes.length)
      return keep('data segments overlap');
  }
  const filled = segments.filter((s) => s.bytes.length > 0);
  if (filled.length === 0) return keep('it has no data');

  const imageStart = filled[0]!.offset;
  const last = filled[filled.length - 1]!;
  const imageEnd = last.offset + last.bytes.length;
  const image = new Uint8Array(imageEnd - imageStart);
  for (const s of filled) image.set(s.bytes, s.offset - imageStart);
  const blob = encodeImage(image);
  const blobStart = Math.ceil(imageEnd / BLOB_ALIGN) * BLOB_ALIGN;
  // +1: the decoder reads each token as a u16, so it reads one byte past the blob's end.
  if (blobStart + blob.length + 1 > memoryBytes) {
    return keep(
      `the compressed data (${blob.length} bytes at ${blobStart}) would not fit in the initial memory (${memoryBytes} bytes)`,
    );
  }

  const dataSectionAfter = encodeSection(
    SECTION.data,
    Uint8Array.from([...uleb(1), 0, 0x41, ...sleb(blobStart | 0), 0x0b, ...uleb(blob.length), ...blob]),
  );
  const out = withExpandFunction(
    module,
    shape,
    expandFunctionBody({ imageStart, blobStart, blobLength: blob.length }),
    dataSectionAfter,
  );
  if (out.length >= module.length) return keep('compressing the data would not make the module smaller');

  let expected: Uint8Array;
  try {
    expected = initialMemory(module);
  } catch (err) {
    return keep(`the build-time check of its memory cannot instantiate it (${(err as Error).message})`);
  }
  checkSameMemory(expected, out);
  return {
    module: out,
    skipped: null,
    dataBytesBefore,
    dataBytesAfter: dataSectionAfter.length,
    imageBytes: image.length,
    blobBytes: blob.length,
    decoderBytes: out.length - module.length - (dataSectionAfter.length - dataBytesBefore),
  };
}

/** Size of a module's data section, header included (0 when it has none). */
export function dataSectionBytes(module: Uint8Array): number {
  const data = readSections(module).find((s) => s.id === SECTION.data);
  return data ? data.end - data.head : 0;
}

function unchanged(module: Uint8Array, dataBytes: number, reason: string): DataCompression {
  return {
    module,
    skipped: reason,
    dataBytesBefore: dataBytes,
    dataBytesAfter: dataBytes,
    imageBytes: 0,
    blobBytes: 0,
    decoderBytes: 0,
  };
}

/** Why the pass leaves this module alone, or null when it can compress it. */
function unsupported(shape: ModuleShape): string | null {
  if (typeof shape.data === 'string') return shape.data;
  if (shape.data.length === 0) return 'it has no data';
  if (shape.hasStart) return 'it already has a start function';
  if (shape.memories.length !== 1) return `it has ${shape.memories.length} memories`;
  const memory = shape.memories[0]!;
  if (memory.imported) return "its memory is imported, so its contents at start-up are not the module's alone";
  if (memory.shared || memory.memory64) return 'its memory is shared or 64-bit';
  if (!shape.types) return 'its type section has forms this pass does not read';
  const foreign = shape.imports.find((i) => i.kind !== EXTERNAL.function);
  if (foreign)
    return `it imports ${foreign.module}.${foreign.name}, which is not a function (the build-time check instantiates with stub functions only)`;
  return null;
}

/** The module with the decoder added as its start function and `dataSection` as its data. */
function withExpandFunction(
  module: Uint8Array,
  shape: ModuleShape,
  body: Uint8Array,
  dataSection: Uint8Array,
): Uint8Array {
  const section = (id: number) => shape.sections.find((s) => s.id === id);
  const added = new Map<number, Uint8Array>();
  const replaced = new Map<Section, Uint8Array>();
  const appendEntry = (id: number, entry: Uint8Array) => {
    const s = section(id);
    const bytes = appendedTo(module, s, id, entry);
    if (s) replaced.set(s, bytes);
    else added.set(id, bytes);
  };

  let typeIndex = shape.types!.findIndex((t) => t.params.length === 0 && t.results.length === 0);
  if (typeIndex < 0) {
    typeIndex = shape.types!.length;
    appendEntry(SECTION.type, Uint8Array.of(0x60, 0, 0));
  }
  appendEntry(SECTION.function, Uint8Array.from(uleb(typeIndex)));
  appendEntry(SECTION.code, body);
  added.set(
    SECTION.start,
    encodeSection(SECTION.start, Uint8Array.from(uleb(shape.importedFunctions + shape.definedFunctions))),
  );
  replaced.set(section(SECTION.data)!, dataSection);
  const dataCount = section(SECTION.dataCount);
  if (dataCount) replaced.set(dataCount, encodeSection(SECTION.dataCount, Uint8Array.from(uleb(1))));
  for (const s of shape.sections) {
    const names =
      s.id === SECTION.custom && new Reader(module, s.start).name() === 'name'
        ? withoutDataSegmentNames(module, s)
        : null;
    if (names) replaced.set(s, names);
  }
  return rebuildModule(module, shape.sections, (s) => replaced.get(s), added);
}

/** A vector section (count, then entries) with one more entry at its end, or a new one. */
function appendedTo(module: Uint8Array, s: Section | undefined, id: number, entry: Uint8Array): Uint8Array {
  if (!s) return encodeSection(id, Buffer.concat([Uint8Array.from(uleb(1)), entry]));
  const r = new Reader(module, s.start);
  const count = r.u32();
  return encodeSection(id, Buffer.concat([Uint8Array.from(uleb(count + 1)), module.subarray(r.pos, s.end), entry]));
}

/** The name section without its data segment names, which would name segments that are gone. */
function withoutDataSegmentNames(module: Uint8Array, s: Section): Uint8Array | null {
  const r = new Reader(module, s.start);
  r.name();
  const kept: Uint8Array[] = [module.subarray(s.start, r.pos)];
  let dropped = false;
  while (r.pos < s.end) {
    const from = r.pos;
    const id = r.byte();
    const size = r.u32();
    r.pos += size;
    if (id === DATA_SEGMENT_NAMES) dropped = true;
    else kept.push(module.subarray(from, r.pos));
  }
  return dropped ? encodeSection(SECTION.custom, Buffer.concat(kept)) : null;
}

/** Throws unless the compressed module starts with `expected` as its linear memory. */
function checkSameMemory(expected: Uint8Array, compressed: Uint8Array): void {
  let problem: string;
  try {
    const actual = initialMemory(compressed);
    if (Buffer.compare(expected, actual) === 0) return;
    problem =
      actual.length !== expected.length
        ? `memory is ${actual.length} bytes instead of ${expected.length}`
        : `memory differs first at byte ${expected.findIndex((b, i) => b !== actual[i])}`;
  } catch (err) {
    problem = `the compressed module does not instantiate: ${(err as Error).message}`;
  }
  throw new Error(
    `internal error: data compression would change the module (${problem}); ` +
      'this is a meshwasm bug: build with --no-compress-data and report it',
  );
}
