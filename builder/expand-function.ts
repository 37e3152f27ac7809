// The function a compressed module runs as its wasm start function: it expands the blob (see
// data-codec.ts for the format) into the static image's address range, then zeroes the blob, so
// linear memory ends up exactly as the uncompressed module's data segments would have left it.
//
// Written as raw opcodes because it is small and fixed; the WAT it encodes is beside each line.
// Only MVP instructions (byte loads and stores, no bulk memory), so the module needs no feature a
// proxy's runtime might lack. It calls nothing and touches no global.

import { sleb, uleb } from './wasm-binary.js';

const op = {
  if: 0x04,
  else: 0x05,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  void: 0x40,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  load8: 0x2d,
  load16: 0x2f,
  store8: 0x3a,
  const: 0x41,
  eq: 0x46,
  ltU: 0x49,
  gtU: 0x4b,
  add: 0x6a,
  sub: 0x6b,
  and: 0x71,
  shl: 0x74,
  shrU: 0x76,
  i32: 0x7f,
} as const;

// Locals, all i32.
const SRC = 0,
  DST = 1,
  V = 2,
  N = 3,
  FROM = 4,
  STEP = 5;
const LOCALS = 6;

const get = (l: number) => [op.localGet, l];
const set = (l: number) => [op.localSet, l];
const tee = (l: number) => [op.localTee, l];
const i32 = (n: number) => [op.const, ...sleb(n | 0)]; // addresses above 2 GiB are negative i32s
const byteAccess = (opcode: number) => [opcode, 0, 0]; // alignment 1, offset 0
const increment = (l: number, by: number[]) => [...get(l), ...by, op.add, ...set(l)];

export interface ExpandLayout {
  /** Where the image starts in linear memory (the lowest data segment's offset). */
  imageStart: number;
  /** Where the blob's data segment is, and its length. */
  blobStart: number;
  blobLength: number;
}

/** The function's body as it goes in the code section, size prefix included. */
export function expandFunctionBody({ imageStart, blobStart, blobLength }: ExpandLayout): Uint8Array {
  const body = [
    1,
    LOCALS,
    op.i32,
    ...i32(blobStart),
    ...set(SRC),
    ...i32(imageStart),
    ...set(DST),
    op.loop,
    op.void, // each token
    ...get(SRC),
    ...byteAccess(op.load16),
    ...tee(V),
    ...i32(31),
    op.and,
    ...i32(1),
    op.add,
    ...set(N), // n = ((v = token | next << 8) & 31) + 1
    ...increment(SRC, i32(1)),
    ...get(DST),
    ...set(FROM), // skip: copying each byte onto itself leaves the zeros there
    ...i32(1),
    ...set(STEP),
    ...get(V),
    ...i32(0x20),
    op.and,
    op.if,
    op.void, // near match
    ...get(DST),
    ...get(V),
    ...i32(6),
    op.shrU,
    ...i32(1),
    op.shl,
    op.sub,
    ...set(FROM), // from = dst - 2 * (v >> 6)
    ...increment(SRC, i32(1)),
    op.else,
    ...get(V),
    ...i32(6),
    op.shrU,
    ...i32(3),
    op.and,
    ...tee(V),
    ...i32(3),
    op.eq,
    op.if,
    op.void, // far match
    ...get(DST),
    ...get(SRC),
    ...byteAccess(op.load16),
    op.sub,
    ...set(FROM),
    ...increment(SRC, i32(2)),
    op.else,
    ...get(V),
    op.if,
    op.void, // literal (1) or wide literal (2): the kind is the step
    ...get(SRC),
    ...set(FROM),
    ...increment(SRC, get(N)),
    ...get(V),
    ...set(STEP),
    op.end,
    op.end,
    op.end,
    op.loop,
    op.void, // copy n bytes forwards, so a match may overlap what it writes
    ...get(DST),
    ...get(FROM),
    ...byteAccess(op.load8),
    ...byteAccess(op.store8),
    ...increment(FROM, i32(1)),
    ...increment(DST, get(STEP)),
    ...get(N),
    ...i32(1),
    op.sub,
    ...tee(N),
    op.brIf,
    0,
    op.end,
    ...get(SRC),
    ...i32(blobStart + blobLength),
    op.ltU,
    op.brIf,
    0,
    op.end,
    op.loop,
    op.void, // zero the blob, last byte first
    ...get(SRC),
    ...i32(1),
    op.sub,
    ...tee(SRC),
    ...i32(0),
    ...byteAccess(op.store8),
    ...get(SRC),
    ...i32(blobStart),
    op.gtU,
    op.brIf,
    0,
    op.end,
    op.end,
  ];
  return Uint8Array.from([...uleb(body.length), ...body]);
}
