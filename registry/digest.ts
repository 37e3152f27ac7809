import { createHash } from 'node:crypto';
import { RegistryError } from './errors.js';

export const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256Digest(data: Uint8Array): string {
  return 'sha256:' + sha256Hex(data);
}

/** Only sha256 is produced by meshwasm and accepted by Istio; other algorithms are refused by name. */
export function assertDigest(digest: string, what: string): void {
  if (!digestPattern.test(digest)) {
    throw new RegistryError(
      'invalid-input',
      `${what}: "${digest}" is not a sha256 digest (expected sha256: followed by 64 lowercase hex digits)`,
    );
  }
}

/** Content is refused, never written anywhere, when its bytes do not hash to the digest that names it. */
export function verifyDigest(data: Uint8Array, expected: string, what: string): void {
  const actual = sha256Digest(data);
  if (actual !== expected) {
    throw new RegistryError(
      'integrity',
      `${what}: content hashes to ${actual} but was expected to be ${expected}; the registry or store holds corrupted content, nothing was written`,
    );
  }
}
