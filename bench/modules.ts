/**
 * The two modules every benchmark measures alongside the user's filter. Their sources are
 * baseline/passthrough.wat and baseline/roundtrip.wat; the bytes are embedded so users need no
 * wabt, and test/bench/modules.test.ts checks they equal what `wat2wasm` makes of the sources.
 */

/** An empty pass-through filter: every callback returns "continue", no host calls. */
export const PASSTHROUGH_WASM_BASE64 =
  'AGFzbQEAAAABHwZgAABgAX8Bf2ACf38AYAJ/fwF/YAN/f38Bf2ABfwADDw4AAQIDAwQEAwQEAwUBBQUDAQABB9QCDwZtZW1vcnkCABdwcm94eV9hYmlfdmVyc2lvbl8wXzJfMQAAGHByb3h5X29uX21lbW9yeV9hbGxvY2F0ZQABF3Byb3h5X29uX2NvbnRleHRfY3JlYXRlAAIRcHJveHlfb25fdm1fc3RhcnQAAxJwcm94eV9vbl9jb25maWd1cmUABBhwcm94eV9vbl9yZXF1ZXN0X2hlYWRlcnMABRVwcm94eV9vbl9yZXF1ZXN0X2JvZHkABhlwcm94eV9vbl9yZXF1ZXN0X3RyYWlsZXJzAAcZcHJveHlfb25fcmVzcG9uc2VfaGVhZGVycwAIFnByb3h5X29uX3Jlc3BvbnNlX2JvZHkACRpwcm94eV9vbl9yZXNwb25zZV90cmFpbGVycwAKDHByb3h5X29uX2xvZwALDXByb3h5X29uX2RvbmUADA9wcm94eV9vbl9kZWxldGUADQpADgIACwUAQYAICwIACwQAQQELBABBAQsEAEEACwQAQQALBABBAAsEAEEACwQAQQALBABBAAsCAAsEAEEBCwIACw==';

/** `loop(n)` calls the imported proxy_get_log_level n times. */
export const ROUNDTRIP_WASM_BASE64 =
  'AGFzbQEAAAABFARgAX8Bf2AAAGACf38AYAJ/fwF/AhsBA2VudhNwcm94eV9nZXRfbG9nX2xldmVsAAADBwYBAAIDAwAFAwEAAQeJAQcGbWVtb3J5AgAXcHJveHlfYWJpX3ZlcnNpb25fMF8yXzEAARhwcm94eV9vbl9tZW1vcnlfYWxsb2NhdGUAAhdwcm94eV9vbl9jb250ZXh0X2NyZWF0ZQADEXByb3h5X29uX3ZtX3N0YXJ0AAQScHJveHlfb25fY29uZmlndXJlAAUEbG9vcAAGCjsGAgALBQBBgAgLAgALBABBAQsEAEEBCyMBAX8CQANAIABFDQEgAUEQEABqIQEgAEEBayEADAALCyABCw==';

export const passthroughModule = (): Uint8Array => new Uint8Array(Buffer.from(PASSTHROUGH_WASM_BASE64, 'base64'));
export const roundtripModule = (): Uint8Array => new Uint8Array(Buffer.from(ROUNDTRIP_WASM_BASE64, 'base64'));
