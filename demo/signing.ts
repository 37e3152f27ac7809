import { randomBytes } from 'node:crypto';
import { SignatureGate, type SignaturePolicy } from '../control-plane/index.js';
import { sigstoreVerifier } from '../control-plane/resolver/sigstore-verifier.js';
import type { TargetOptions } from '../registry/index.js';
import { generateSigningKeyPair, loadPrivateKey, signImage } from '../registry/signing/index.js';

export interface DemoSigning {
  /** Id of the key made for this run (sha256 of its public key). */
  keyId: string;
  /** Filters signed with it. */
  signed: number;
  /** Namespace whose extensions the control plane serves only when they verify under the key. */
  enforcedIn: string;
  /** Extensions the control plane verified and served (filled in from its status). */
  verified: number;
}

/**
 * Signs each pushed filter with a key pair made for this run (never written to disk), as
 * `meshwasm push --sign --key` would: a Sigstore bundle stored as a referrer of the manifest.
 */
export async function signDemoFilters(
  references: string[],
  opts: TargetOptions,
): Promise<DemoSigning & { publicKeyPem: string }> {
  const passphrase = randomBytes(16).toString('hex');
  const pair = generateSigningKeyPair(passphrase);
  const privateKey = loadPrivateKey(pair.privateKeyPem, passphrase, 'the demo key');
  for (const ref of references) await signImage(ref, { kind: 'key', privateKey }, opts);
  return { keyId: pair.keyId, signed: references.length, enforcedIn: '', verified: 0, publicKeyPem: pair.publicKeyPem };
}

/** The control plane's gate: the demo's namespace trusts the demo key and nothing else. */
export function demoSignatureGate(
  signing: DemoSigning & { publicKeyPem: string },
  namespace: string,
  opts: TargetOptions,
): SignatureGate {
  signing.enforcedIn = namespace;
  const policy: SignaturePolicy = {
    namespaces: {
      [namespace]: {
        origin: 'the demo key',
        keys: [{ name: 'the demo key', pem: signing.publicKeyPem }],
        identities: [],
      },
    },
  };
  return new SignatureGate(policy, sigstoreVerifier(opts));
}
