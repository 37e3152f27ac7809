import type protobuf from 'protobufjs';
import { envoyCoreTypes, toStruct } from '../envoy-api/protos.js';

/**
 * Message-valued properties, answered as Envoy's Context::getProperty does (context.cc): the
 * path walks a CEL value: a message's fields by name, a map's keys, a list's indexes; the value
 * reached is serialized by serializeValue: a message as its protobuf bytes, a map as header-map
 * pairs of serialized keys and values, a list as pairs of serialized items with empty values,
 * strings/bytes raw, integers 8-byte little-endian, doubles 8 bytes, bools 1 byte.
 *
 * CEL unwraps google.protobuf.Struct into a map (cel-cpp's CelProtoWrapper), so `node` is Node
 * bytes but `node.metadata` is a map of pairs, and `node.metadata.NAME` the member itself; a
 * Struct number is a double. The types come from Envoy's own protos (envoy-api/protos.ts).
 */

/** A property tree value that is an Envoy message given as a plain object. */
export interface MessageProperty {
  /** Fully-qualified proto type, e.g. envoy.config.core.v3.Metadata. */
  message: string;
  value: Record<string, unknown>;
}

export const isMessageProperty = (v: unknown): v is MessageProperty =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as MessageProperty).message === 'string' &&
  typeof (v as MessageProperty).value === 'object';

/** A google.protobuf.Struct given as a plain object. */
export interface StructProperty {
  struct: Record<string, unknown>;
}

export const isStructProperty = (v: unknown): v is StructProperty =>
  typeof v === 'object' && v !== null && typeof (v as StructProperty).struct === 'object' && !Array.isArray(v);

type Cel =
  | { k: 'bytes'; v: Uint8Array }
  | { k: 'null' }
  | { k: 'map'; entries: [string, Cel][] }
  | { k: 'list'; items: Cel[] }
  | { k: 'message'; type: protobuf.Type; obj: Record<string, unknown> };

/** serializeValue's failure: a null member, say. */
export class SerializationFailure extends Error {}

const STRUCT = 'google.protobuf.Struct';
const int64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, v));
  return b;
};
const double = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
};

/** A Struct member (JSON) as CEL sees it. */
function fromJson(v: unknown): Cel {
  if (v === null || v === undefined) return { k: 'null' };
  if (typeof v === 'string') return { k: 'bytes', v: Buffer.from(v, 'utf8') };
  if (typeof v === 'number') return { k: 'bytes', v: double(v) };
  if (typeof v === 'boolean') return { k: 'bytes', v: Uint8Array.of(v ? 1 : 0) };
  if (Array.isArray(v)) return { k: 'list', items: v.map(fromJson) };
  return { k: 'map', entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(x)]) };
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const member = (obj: Record<string, unknown>, f: protobuf.Field): unknown =>
  obj[f.name] ?? obj[snake(f.name)] ?? undefined;
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A field value of a message as CEL sees it (absent singular fields read as their defaults). */
function fieldValue(f: protobuf.Field, raw: unknown): Cel {
  if (f.map) {
    const entries = Object.entries((raw ?? {}) as Record<string, unknown>);
    return { k: 'map', entries: entries.map(([k, v]) => [k, singular(f, v)]) };
  }
  if (f.repeated) return { k: 'list', items: ((raw ?? []) as unknown[]).map((v) => singular(f, v)) };
  return singular(f, raw);
}

function singular(f: protobuf.Field, raw: unknown): Cel {
  const rt = f.resolvedType;
  if (rt && 'fields' in rt) {
    const type = rt as protobuf.Type;
    if (type.fullName.slice(1) === STRUCT) return fromJson(raw ?? {});
    return { k: 'message', type, obj: (raw ?? {}) as Record<string, unknown> };
  }
  if (rt) return { k: 'bytes', v: int64(BigInt(Number(raw ?? 0))) }; // enum: CEL int
  switch (f.type) {
    case 'string':
      return { k: 'bytes', v: Buffer.from(String(raw ?? ''), 'utf8') };
    case 'bytes':
      return { k: 'bytes', v: raw instanceof Uint8Array ? raw : Buffer.from(String(raw ?? ''), 'utf8') };
    case 'bool':
      return { k: 'bytes', v: Uint8Array.of(raw ? 1 : 0) };
    case 'double':
    case 'float':
      return { k: 'bytes', v: double(Number(raw ?? 0)) };
    default:
      return { k: 'bytes', v: int64(BigInt(String(raw ?? 0))) };
  }
}

function step(c: Cel, seg: string): Cel | undefined {
  if (c.k === 'map') return c.entries.find(([k]) => k === seg)?.[1];
  if (c.k === 'message') {
    const f = c.type.fields[camel(seg)];
    if (!f) return undefined;
    return fieldValue(f, member(c.obj, f));
  }
  if (c.k === 'list') {
    const i = Number(seg);
    return Number.isInteger(i) && i >= 0 && i < c.items.length ? c.items[i] : undefined;
  }
  return undefined;
}

/** Plain object (snake_case or camelCase keys, Structs as JSON) to what protobufjs' fromObject takes. */
function toProtoObject(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    const raw = member(obj, f);
    if (raw === undefined) continue;
    const rt = f.resolvedType;
    const conv = (v: unknown): unknown => {
      if (rt && 'fields' in rt) {
        const t = rt as protobuf.Type;
        return t.fullName.slice(1) === STRUCT
          ? toStruct(v as Record<string, unknown>)
          : toProtoObject(t, v as Record<string, unknown>);
      }
      return v;
    };
    if (f.map) out[f.name] = Object.fromEntries(Object.entries(raw as object).map(([k, v]) => [k, conv(v)]));
    else if (f.repeated) out[f.name] = (raw as unknown[]).map(conv);
    else out[f.name] = conv(raw);
  }
  return out;
}

function serialize(c: Cel): Uint8Array {
  switch (c.k) {
    case 'bytes':
      return c.v;
    case 'null':
      throw new SerializationFailure('null value');
    case 'message':
      return c.type.encode(c.type.fromObject(toProtoObject(c.type, c.obj))).finish();
    case 'map':
      return encodePairsBytes(c.entries.map(([k, v]) => [Buffer.from(k, 'utf8'), serialize(v)]));
    case 'list':
      return encodePairsBytes(c.items.map((v) => [serialize(v), new Uint8Array(0)]));
  }
}

/** Pairs whose keys and values are bytes (serialized numbers are binary), in the pairs layout. */
function encodePairsBytes(pairs: [Uint8Array, Uint8Array][]): Uint8Array {
  let size = 4 + pairs.length * 8;
  for (const [k, v] of pairs) size += k.length + v.length + 2;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(pairs.length, 0);
  let off = 4 + pairs.length * 8;
  pairs.forEach(([k, v], i) => {
    out.writeUInt32LE(k.length, 4 + i * 8);
    out.writeUInt32LE(v.length, 8 + i * 8);
    out.set(k, off);
    off += k.length + 1;
    out.set(v, off);
    off += v.length + 1;
  });
  return out;
}

/**
 * Reads `rest` (the path below the property) from a message or Struct property and serializes
 * what it reaches; undefined when the path names nothing (NotFound). Throws SerializationFailure.
 */
export function readMessageProperty(v: MessageProperty | StructProperty, rest: string[]): Uint8Array | undefined {
  let c: Cel | undefined = isStructProperty(v)
    ? fromJson(v.struct)
    : { k: 'message', type: envoyCoreTypes().lookupType(v.message), obj: v.value };
  for (const seg of rest) {
    c = step(c, seg);
    if (!c) return undefined;
  }
  return serialize(c);
}
