import type { HeaderPairs } from './abi/memory.js';
import { uleb } from './module/leb128.js';

/** The parts of Envoy's GrpcService (envoy/config/core/v3/grpc_service.proto) a callout uses. */
export interface GrpcServiceSpec {
  /** envoy_grpc.cluster_name */
  cluster?: string;
  /** envoy_grpc.authority */
  authority?: string;
  /** google_grpc.target_uri */
  targetUri?: string;
  /** timeout, in ms */
  timeoutMs?: number;
  /** initial_metadata */
  initialMetadata: HeaderPairs;
}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  get done() {
    return this.pos >= this.b.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.b.length || shift > 63) throw new Error('truncated varint');
      const byte = this.b[this.pos++]!;
      if (shift < 53) result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new Error('truncated field');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Walks one message: calls `field` for every length-delimited or varint field; throws on bad wire. */
function walk(b: Uint8Array, field: (num: number, value: Uint8Array | number) => void): void {
  const r = new Reader(b);
  while (!r.done) {
    const key = r.varint();
    const num = Math.floor(key / 8);
    const type = key % 8;
    if (num === 0) throw new Error('field number 0');
    if (type === 0) field(num, r.varint());
    else if (type === 1) r.bytes(8);
    else if (type === 2) field(num, r.bytes(r.varint()));
    else if (type === 5) r.bytes(4);
    else throw new Error(`wire type ${type}`);
  }
}

const str = (v: Uint8Array | number) => (typeof v === 'number' ? '' : utf8.decode(v));

/**
 * Envoy's first step in grpcCall/grpcStream (source/extensions/common/wasm/context.cc): the
 * service argument is parsed as a serialized GrpcService; when that fails it is a cluster name.
 * Returns undefined when the bytes are not a well-formed GrpcService (proto3 strings must be
 * UTF-8), as protobuf's ParseFromString would refuse them.
 */
export function parseGrpcService(bytes: Uint8Array): GrpcServiceSpec | undefined {
  if (bytes.length === 0) return undefined;
  const spec: GrpcServiceSpec = { initialMetadata: [] };
  try {
    walk(bytes, (num, v) => {
      if (num === 1 && typeof v !== 'number')
        walk(v, (n, x) => {
          if (n === 1) spec.cluster = str(x);
          if (n === 2) spec.authority = str(x);
        });
      else if (num === 2 && typeof v !== 'number')
        walk(v, (n, x) => {
          if (n === 1) spec.targetUri = str(x);
        });
      else if (num === 3 && typeof v !== 'number') {
        let seconds = 0;
        let nanos = 0;
        walk(v, (n, x) => {
          if (n === 1 && typeof x === 'number') seconds = x;
          if (n === 2 && typeof x === 'number') nanos = x;
        });
        spec.timeoutMs = seconds * 1000 + Math.floor(nanos / 1e6);
      } else if (num === 5 && typeof v !== 'number') {
        let key = '';
        let value = '';
        walk(v, (n, x) => {
          if (n === 1) key = str(x);
          if (n === 2) value = str(x);
        });
        spec.initialMetadata.push([key.toLowerCase(), value]);
      }
    });
  } catch {
    return undefined;
  }
  return spec;
}

/** Serializes a GrpcService with envoy_grpc.cluster_name (tests and SDKs build the argument this way). */
export function encodeGrpcService(cluster: string, opts: { authority?: string; timeoutMs?: number } = {}): Uint8Array {
  const field = (num: number, body: Uint8Array) => [num * 8 + 2, ...uleb(body.length), ...body];
  const enc = new TextEncoder();
  const inner = [...field(1, enc.encode(cluster)), ...(opts.authority ? field(2, enc.encode(opts.authority)) : [])];
  const out = [...field(1, Uint8Array.from(inner))];
  if (opts.timeoutMs !== undefined) {
    const s = Math.floor(opts.timeoutMs / 1000);
    const ns = (opts.timeoutMs % 1000) * 1e6;
    out.push(...field(3, Uint8Array.from([8, ...uleb(s), 16, ...uleb(ns)])));
  }
  return Uint8Array.from(out);
}
