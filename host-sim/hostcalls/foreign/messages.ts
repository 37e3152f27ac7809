import protobuf from 'protobufjs';

/**
 * The argument and result messages of Envoy's foreign functions. They live in Envoy's source
 * tree (source/extensions/common/wasm/ext/declare_property.proto, set_envoy_filter_state.proto,
 * sign.proto, verify_signature.proto), not in the API protos @grpc/grpc-js-xds ships, so their
 * schema is restated here with the same package, names and field numbers; protobufjs does the
 * wire encoding.
 */
const SCHEMA = `
syntax = "proto3";
package envoy.source.extensions.common.wasm;
enum WasmType { Bytes = 0; String = 1; FlatBuffers = 2; Protobuf = 3; }
enum LifeSpan { FilterChain = 0; DownstreamRequest = 1; DownstreamConnection = 2; }
message DeclarePropertyArguments {
  string name = 1; bool readonly = 2; WasmType type = 3; bytes schema = 4; LifeSpan span = 5;
}
message SetEnvoyFilterStateArguments { string path = 1; string value = 2; LifeSpan span = 3; }
message SignArguments { string hash_function = 1; bytes private_key = 2; bytes text = 3; string private_key_pem = 4; }
message SignResult { bool result = 1; bytes signature = 2; string error = 3; }
message VerifySignatureArguments {
  string hash_function = 1; bytes public_key = 2; string public_key_pem = 5; bytes signature = 3; bytes text = 4;
}
message VerifySignatureResult { bool result = 1; string error = 2; }
`;

let root: protobuf.Root | undefined;

/** A message type of the schema above, by its short name. */
export function extType(name: string): protobuf.Type {
  root ??= protobuf.parse(SCHEMA, { keepCase: true }).root;
  return root.lookupType(`envoy.source.extensions.common.wasm.${name}`);
}

/**
 * Decodes a message as C++'s ParseFromString would: undefined when the bytes are not a valid
 * encoding of it; absent fields read as their defaults.
 */
export function parseExt<T>(name: string, bytes: Uint8Array): T | undefined {
  const type = extType(name);
  try {
    return type.toObject(type.decode(bytes), { defaults: true, enums: Number, bytes: Buffer }) as T;
  } catch {
    return undefined;
  }
}

export function encodeExt(name: string, value: Record<string, unknown>): Uint8Array {
  const type = extType(name);
  return type.encode(type.fromObject(value)).finish();
}
