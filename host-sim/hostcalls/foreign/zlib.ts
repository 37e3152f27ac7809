import { deflateSync, inflateSync } from 'node:zlib';
import { WasmResult } from '../../abi/constants.js';
import type { ForeignResult } from './types.js';

/**
 * Envoy's "compress" and "uncompress" (source/extensions/common/wasm/foreign.cc): zlib's
 * compress()/uncompress(), i.e. the zlib format at the default level; input uncompress cannot
 * read is SerializationFailure.
 */
export function compress(args: Uint8Array): ForeignResult {
  return { status: WasmResult.Ok, result: deflateSync(args) };
}

export function uncompress(args: Uint8Array): ForeignResult {
  try {
    return { status: WasmResult.Ok, result: inflateSync(args) };
  } catch {
    return { status: WasmResult.SerializationFailure };
  }
}
