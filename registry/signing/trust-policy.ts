import type { KeyObject } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { RegistryError } from '../errors.js';
import { keyIdOf, loadPublicKey } from './keys.js';

/** Who may sign: public keys (key-based) and OIDC identities (keyless, checked against a trusted root). */
export interface TrustPolicy {
  keys: { key: KeyObject; keyId: string; name: string }[];
  /** Exact issuer and subject (the certificate's SAN: an email, or a CI workflow URI). */
  identities: { issuer: string; subject: string }[];
  /** Sigstore trusted root (Fulcio CAs, Rekor and CT log keys) for keyless signatures. */
  trustedRoot?: TrustedRoot;
}

export interface TrustPolicyInput {
  /** PEM public keys, with the name messages use for each (a file path). */
  keys?: { pem: string; name: string }[];
  identities?: { issuer: string; subject: string }[];
  /** The trusted_root.json text (sigstore/protobuf-specs TrustedRoot, as `cosign trusted-root create` writes). */
  trustedRootJson?: string;
  trustedRootName?: string;
}

export function buildTrustPolicy(input: TrustPolicyInput): TrustPolicy {
  const keys = (input.keys ?? []).map((k) => {
    const key = loadPublicKey(k.pem, k.name);
    return { key, keyId: keyIdOf(key), name: k.name };
  });
  for (const id of input.identities ?? []) {
    if (!id.issuer || !id.subject)
      throw new RegistryError(
        'invalid-input',
        `identity ${JSON.stringify(id)} needs both issuer and subject, e.g. issuer https://token.actions.githubusercontent.com and subject https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main`,
      );
  }
  let trustedRoot: TrustedRoot | undefined;
  if (input.trustedRootJson !== undefined) {
    try {
      trustedRoot = TrustedRoot.fromJSON(JSON.parse(input.trustedRootJson));
    } catch (err) {
      throw new RegistryError(
        'invalid-input',
        `${input.trustedRootName ?? 'the trusted root'} is not a Sigstore trusted_root.json (${(err as Error).message})`,
      );
    }
  }
  return { keys, identities: input.identities ?? [], ...(trustedRoot ? { trustedRoot } : {}) };
}

const emptyRoot = () =>
  TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });

/** Trust material in which `key` answers every key hint: we try each trusted key in turn. */
export function materialForKey(policy: TrustPolicy, key: KeyObject): TrustMaterial {
  return toTrustMaterial(policy.trustedRoot ?? emptyRoot(), () => ({ publicKey: key, validFor: () => true }));
}

export function materialForCertificates(policy: TrustPolicy): TrustMaterial | undefined {
  return policy.trustedRoot ? toTrustMaterial(policy.trustedRoot) : undefined;
}

/** A short text for messages: "key 3f2a… (keys/team.pub), identity ci@acme.dev". */
export function describePolicy(policy: TrustPolicy): string {
  const parts = [
    ...policy.keys.map((k) => `key ${k.keyId.slice(0, 16)} (${k.name})`),
    ...policy.identities.map((i) => `identity ${i.subject} from ${i.issuer}`),
  ];
  return parts.join(', ') || 'nobody';
}
