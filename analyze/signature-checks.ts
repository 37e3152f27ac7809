import { trustFor, type SignaturePolicy } from '../control-plane/index.js';
import { sigstoreVerifier } from '../control-plane/resolver/sigstore-verifier.js';
import type { CredentialSpec } from './credentials.js';
import type { ClusterObjects } from './cluster-objects.js';
import { credentialSource } from './credentials.js';
import { finding, type Finding } from './finding.js';
import { pullSecretConfig } from './mesh-checks.js';
import type { Subject } from './subject.js';

export type { SignaturePolicy };

/**
 * MW06xx: what a control plane enforcing `policy` would decide about a subject's module, with
 * the same verifier (control-plane/resolver/sigstore-verifier.ts), so analyze and the control
 * plane cannot disagree. Envoy configs are not covered: policies are per Istio namespace.
 */
export async function checkSignatures(
  s: Subject,
  objects: ClusterObjects,
  opts: { credentials?: CredentialSpec[]; plainHttp?: boolean },
  policy: SignaturePolicy,
): Promise<Finding[]> {
  if (s.kind === 'EnvoyWasm') return [];
  const trust = trustFor(policy, s.namespace);
  if (!trust || !s.url) return [];
  if (!s.url.startsWith('oci://'))
    return [
      finding(
        'MW0603',
        s,
        `${s.url} is not an oci:// image, and the signature policy (${trust.origin}) covers namespace ${s.namespace}`,
      ),
    ];
  const ref = s.url.slice('oci://'.length);
  // What the proxy would get: the digest the manifest pins when it pins one, else what the tag names now.
  const pinned = s.sha256 && !ref.includes('@') ? `${ref.replace(/:[^/:]+$/, '')}@sha256:${s.sha256}` : ref;
  const credentials = credentialSource(opts.credentials ?? [], pullSecretConfig(s, objects));
  const verifier = sigstoreVerifier({ credentials, ...(opts.plainHttp ? { plainHttp: true } : {}) });
  const result = await verifier.verify(pinned, trust, {});
  if (result.verified)
    return [
      finding('MW0604', s, `${pinned} is signed by ${result.signer} (policy ${trust.origin})`, {
        signer: result.signer,
      }),
    ];
  return [
    finding(result.unsigned ? 'MW0601' : 'MW0602', s, `${pinned}: ${result.reason} (policy ${trust.origin})`, {
      policy: trust.origin,
    }),
  ];
}
