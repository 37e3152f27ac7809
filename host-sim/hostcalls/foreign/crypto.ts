import { createPrivateKey, createPublicKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { WasmResult } from '../../abi/constants.js';
import { encodeExt, parseExt } from './messages.js';
import type { ForeignResult } from './types.js';

/**
 * Envoy's "sign" and "verify_signature" (source/extensions/common/wasm/foreign.cc over
 * source/common/crypto/utility_impl.cc): arguments that do not parse, or that carry both or
 * neither of the DER and PEM key, are BadArgument; everything else is Ok with a result message
 * whose `result` says whether it worked and `error` why not. Digests are sha1, sha224, sha256,
 * sha384 and sha512, case-insensitive. A DER public key is SubjectPublicKeyInfo and a DER
 * private key PKCS#8, as BoringSSL's EVP_parse_public_key / EVP_parse_private_key read them.
 */
const DIGESTS = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

interface VerifyArgs {
  hash_function: string;
  public_key: Buffer;
  public_key_pem: string;
  signature: Buffer;
  text: Buffer;
}

interface SignArgs {
  hash_function: string;
  private_key: Buffer;
  private_key_pem: string;
  text: Buffer;
}

/** BoringSSL answers a key it cannot parse with a null key, not an error: so do we. */
function importKey(make: () => KeyObject): KeyObject | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

export function verifySignature(bytes: Uint8Array): ForeignResult {
  const a = parseExt<VerifyArgs>('VerifySignatureArguments', bytes);
  if (!a) return { status: WasmResult.BadArgument };
  const pem = a.public_key_pem.length > 0;
  const der = a.public_key.length > 0;
  if (pem === der) return { status: WasmResult.BadArgument };
  const key = importKey(() =>
    pem ? createPublicKey(a.public_key_pem) : createPublicKey({ key: a.public_key, format: 'der', type: 'spki' }),
  );
  const answer = (result: boolean, error: string): ForeignResult => ({
    status: WasmResult.Ok,
    result: encodeExt('VerifySignatureResult', { result, error }),
  });
  const hash = a.hash_function.toLowerCase();
  if (!DIGESTS.has(hash)) return answer(false, `${a.hash_function} is not supported.`);
  if (!key) return answer(false, 'Failed to initialize digest verify.');
  let ok: boolean;
  try {
    ok = nodeVerify(hash, a.text, key, a.signature);
  } catch {
    // e.g. an Ed25519 key with a digest: EVP_DigestVerifyInit refuses it.
    return answer(false, 'Failed to initialize digest verify.');
  }
  return ok ? answer(true, '') : answer(false, 'Failed to verify digest. Error code: 0');
}

export function sign(bytes: Uint8Array): ForeignResult {
  const a = parseExt<SignArgs>('SignArguments', bytes);
  if (!a) return { status: WasmResult.BadArgument };
  const pem = a.private_key_pem.length > 0;
  const der = a.private_key.length > 0;
  if (pem === der) return { status: WasmResult.BadArgument };
  const key = importKey(() =>
    pem ? createPrivateKey(a.private_key_pem) : createPrivateKey({ key: a.private_key, format: 'der', type: 'pkcs8' }),
  );
  const answer = (result: boolean, signature: Uint8Array, error: string): ForeignResult => ({
    status: WasmResult.Ok,
    result: encodeExt('SignResult', { result, signature, error }),
  });
  const none = new Uint8Array(0);
  const hash = a.hash_function.toLowerCase();
  if (!DIGESTS.has(hash)) return answer(false, none, `${a.hash_function} is not supported.`);
  if (!key) return answer(false, none, 'Failed to initialize digest sign.');
  try {
    return answer(true, nodeSign(hash, a.text, key), '');
  } catch {
    return answer(false, none, 'Failed to initialize digest sign.');
  }
}
