import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

/**
 * Envoy's own API protos, as shipped inside @grpc/grpc-js-xds. Both the ECDS client (a proxy)
 * and the control plane's ECDS server load them from here, so both ends speak exactly the
 * wire format Envoy speaks. Loading takes ~0.3 s, so it happens once per process.
 */
const PROTO_FILES = [
  'envoy/service/extension/v3/config_discovery.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/config/core/v3/extension.proto',
];

export const TYPE_URL_PREFIX = 'type.googleapis.com/';
export const TYPED_EXTENSION_CONFIG = 'envoy.config.core.v3.TypedExtensionConfig';
export const WASM_HTTP_FILTER = 'envoy.extensions.filters.http.wasm.v3.Wasm';
/** Envoy's envoy.filters.network.wasm: a WasmPlugin of type NETWORK. */
export const WASM_NETWORK_FILTER = 'envoy.extensions.filters.network.wasm.v3.Wasm';
export const RBAC_HTTP_FILTER = 'envoy.extensions.filters.http.rbac.v3.RBAC';
export const STRING_VALUE = 'google.protobuf.StringValue';
export const ECDS_SERVICE = 'envoy.service.extension.v3.ExtensionConfigDiscoveryService';

/**
 * An Any. protobufjs' built-in google.protobuf.Any keeps the snake_case `type_url` even when
 * other fields are camelCased, so Anys carry both spellings (encoders ignore the unknown one).
 */
export interface AnyMessage {
  typeUrl: string;
  type_url?: string;
  value: Buffer | Uint8Array;
}

export interface EnvoyProtos {
  /** The ExtensionConfigDiscoveryService constructor/definition for @grpc/grpc-js. */
  ecdsService: grpc.ServiceClientConstructor;
  /** Encodes a message of a fully-qualified type into an Any. */
  packAny(typeName: string, message: object): AnyMessage;
  /** Decodes an Any whose type is one of the loaded Envoy types. */
  unpackAny<T = Record<string, unknown>>(any: AnyMessage): { typeName: string; message: T };
}

const CONVERSION = { longs: String, enums: String, defaults: false, oneofs: true } as const;

function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate', 'udpa']
    .map((d) => join(deps, d))
    .filter((d) => existsSync(d));
}

let loading: Promise<EnvoyProtos> | undefined;

export function loadEnvoyProtos(): Promise<EnvoyProtos> {
  loading ??= load();
  return loading;
}

async function load(): Promise<EnvoyProtos> {
  const dirs = includeDirs();
  const definition = await protoLoader.load(PROTO_FILES, { ...CONVERSION, keepCase: false, includeDirs: dirs });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { extension: { v3: { ExtensionConfigDiscoveryService: grpc.ServiceClientConstructor } } } };
  };

  // A second, plain protobufjs root for packing/unpacking Any payloads: proto-loader keeps
  // its root private, and an Any's bytes must be encoded with the exact message type.
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const d of dirs) {
      const candidate = join(d, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  await root.load(PROTO_FILES, { keepCase: false });
  root.resolveAll();

  return {
    ecdsService: pkg.envoy.service.extension.v3.ExtensionConfigDiscoveryService,
    packAny(typeName, message) {
      const type = root.lookupType(typeName);
      const err = type.verify(type.fromObject(message) as unknown as Record<string, unknown>);
      if (err) throw new Error(`cannot encode ${typeName}: ${err}`);
      const typeUrl = TYPE_URL_PREFIX + typeName;
      return { typeUrl, type_url: typeUrl, value: Buffer.from(type.encode(type.fromObject(message)).finish()) };
    },
    unpackAny<T>(any: AnyMessage) {
      const typeUrl = any.typeUrl ?? any.type_url ?? '';
      const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
      let type: protobuf.Type;
      try {
        type = root.lookupType(typeName);
      } catch {
        throw new Error(
          `unknown type "${typeUrl}" in an Any; expected one of the Envoy types loaded from @grpc/grpc-js-xds`,
        );
      }
      const message = type.toObject(type.decode(any.value), CONVERSION) as T;
      return { typeName, message };
    },
  };
}

/** Node metadata travels as a google.protobuf.Struct; these convert plain JSON to and from it. */
export type StructValue =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: { fields: Record<string, StructValue> } }
  | { listValue: { values: StructValue[] } };

export function toStruct(obj: Record<string, unknown>): { fields: Record<string, StructValue> } {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

function toValue(v: unknown): StructValue {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}

export function fromStruct(s: { fields?: Record<string, unknown> } | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v as Record<string, unknown>);
  return out;
}

function fromValue(v: Record<string, unknown>): unknown {
  if ('structValue' in v) return fromStruct(v.structValue as { fields?: Record<string, unknown> });
  if ('listValue' in v)
    return ((v.listValue as { values?: unknown[] }).values ?? []).map((x) => fromValue(x as Record<string, unknown>));
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  return null;
}

let coreRoot: protobuf.Root | undefined;

/**
 * Envoy's core API types (envoy.config.core.v3.Node, Metadata, google.protobuf.Struct), loaded
 * synchronously once per process: the host simulator encodes property values with them inside a
 * host call, where it cannot wait. Field names are camelCase, as protobufjs' fromObject expects.
 */
export function envoyCoreTypes(): protobuf.Root {
  if (!coreRoot) {
    const dirs = includeDirs();
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      for (const d of dirs) {
        const candidate = join(d, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
    root.loadSync(['envoy/config/core/v3/base.proto'], { keepCase: false });
    root.resolveAll();
    coreRoot = root;
  }
  return coreRoot;
}
