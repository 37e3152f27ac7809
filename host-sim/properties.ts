import { encodePairs, type HeaderPairs } from './abi/memory.js';
import {
  isMessageProperty,
  isStructProperty,
  type MessageProperty,
  readMessageProperty,
  type StructProperty,
} from './cel-values.js';

/**
 * A property value before encoding. Plain numbers that are integers are int64 (as request.size,
 * response.code); use { double } for doubles, { durationNs } / Date for durations/timestamps.
 */
export type PropertyValue =
  | string
  | Uint8Array
  | number
  | bigint
  | boolean
  | Date
  | { double: number }
  | { durationNs: bigint }
  | { pairs: HeaderPairs }
  | MessageProperty
  | StructProperty
  | { [key: string]: PropertyValue };

const NODE = 'envoy.config.core.v3.Node';
const METADATA = 'envoy.config.core.v3.Metadata';
/** Attributes whose value is an Envoy message (Envoy's StreamActivation / attributes docs). */
const METADATA_ROOTS = [
  'metadata',
  'cluster_metadata',
  'upstream_host_metadata',
  'route_metadata',
  'listener_metadata',
];

/** A google.protobuf.Struct property from a plain object. */
export const structValue = (obj: Record<string, unknown>): StructProperty => ({ struct: obj });

/** An envoy.config.core.v3.Metadata property from filter name -> plain object. */
export const metadataValue = (filterMetadata: Record<string, unknown>): MessageProperty => ({
  message: METADATA,
  value: { filter_metadata: filterMetadata },
});

/**
 * Turns the plain objects a harness or scenario gives for message-valued attributes into the
 * messages Envoy holds: `node` a Node (its metadata a Struct), the *metadata attributes Metadata
 * (a plain object without filter_metadata is taken as the filter_metadata map).
 */
function asMessages(tree: Record<string, PropertyValue>): void {
  const node = tree.node;
  if (node && typeof node === 'object' && !isMessageProperty(node) && !(node instanceof Uint8Array)) {
    const value: Record<string, unknown> = { ...(node as Record<string, unknown>) };
    if (isStructProperty(value.metadata)) value.metadata = value.metadata.struct;
    tree.node = { message: NODE, value };
  }
  for (const root of METADATA_ROOTS) {
    const v = tree[root];
    if (!v || typeof v !== 'object' || isMessageProperty(v) || v instanceof Uint8Array || v instanceof Date) continue;
    const obj = v as Record<string, unknown>;
    tree[root] = 'filter_metadata' in obj ? { message: METADATA, value: obj } : metadataValue(obj);
  }
}

/**
 * The bytes Envoy answers for `path`, or undefined (NotFound). Message and Struct values are
 * walked and serialized as Envoy's getProperty does (cel-values.ts); throws SerializationFailure.
 */
export function propertyBytes(tree: Record<string, PropertyValue> | undefined, path: string[]): Uint8Array | undefined {
  if (!tree) return undefined;
  const dotted = path.join('.');
  if (dotted in tree) return encodeProperty(tree[dotted]!);
  let node: PropertyValue | undefined = tree as PropertyValue;
  for (let i = 0; i < path.length; i++) {
    if (isMessageProperty(node) || isStructProperty(node)) return readMessageProperty(node, path.slice(i));
    const r = lookupProperty(node as Record<string, PropertyValue>, [path[i]!]);
    if (r === undefined) return undefined;
    node = r;
  }
  if (isMessageProperty(node) || isStructProperty(node)) return readMessageProperty(node, []);
  return node === undefined ? undefined : encodeProperty(node);
}

/** Envoy's encodings: strings and bytes raw, int64/double as 8 LE bytes, bool as 1 byte,
 *  durations/timestamps as int64 nanoseconds, maps as header-map pairs. */
export function encodeProperty(v: PropertyValue): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'boolean') return Uint8Array.of(v ? 1 : 0);
  if (typeof v === 'bigint') return int64(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return int64(BigInt(v));
    return double(v);
  }
  if (v instanceof Date) return int64(BigInt(v.getTime()) * 1_000_000n);
  if (isMessageProperty(v) || isStructProperty(v)) return readMessageProperty(v, []) ?? new Uint8Array(0);
  if ('double' in v && typeof v.double === 'number') return double(v.double);
  if ('durationNs' in v && typeof v.durationNs === 'bigint') return int64(v.durationNs);
  if ('pairs' in v && Array.isArray(v.pairs)) return encodePairs(v.pairs as HeaderPairs);
  // A nested object read as a whole is a map of its scalar members.
  const pairs: HeaderPairs = [];
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean' || typeof val === 'bigint') {
      pairs.push([k, String(val)]);
    }
  }
  return encodePairs(pairs);
}

function int64(v: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, v));
  return b;
}

function double(v: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return b;
}

/** Walks a nested property tree; flat dotted keys ("source.address") are accepted too. */
export function lookupProperty(
  tree: Record<string, PropertyValue> | undefined,
  path: string[],
): PropertyValue | undefined {
  if (!tree) return undefined;
  const dotted = path.join('.');
  if (dotted in tree) return tree[dotted];
  let node: PropertyValue | undefined = tree as PropertyValue;
  for (const seg of path) {
    if (node === undefined || typeof node !== 'object' || node instanceof Uint8Array || node instanceof Date)
      return undefined;
    if ('pairs' in node && Array.isArray(node.pairs)) {
      const hit = (node.pairs as HeaderPairs).find(([k]) => k === seg);
      return hit ? hit[1] : undefined;
    }
    node = (node as Record<string, PropertyValue>)[seg];
  }
  return node;
}

/** Turns { 'source.address': 'x', node: { id: 'y' } } into a nested tree, so both spellings work. */
export function nestProperties(flat: Record<string, unknown> | undefined): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  if (!flat) return out;
  for (const [key, value] of Object.entries(flat)) {
    const segs = key.split('.');
    let node = out as Record<string, PropertyValue>;
    for (let i = 0; i < segs.length - 1; i++) {
      const s = segs[i]!;
      const next = node[s];
      if (typeof next !== 'object' || next === null || next instanceof Uint8Array || next instanceof Date) node[s] = {};
      node = node[s] as Record<string, PropertyValue>;
    }
    const last = segs[segs.length - 1]!;
    const existing = node[last];
    if (isPlainObject(value) && isPlainObject(existing)) Object.assign(existing as object, value);
    else node[last] = value as PropertyValue;
  }
  asMessages(out);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date) && !Array.isArray(v);
}
