import { buildTrustPolicy, describeSigner, verifyImage, type TrustPolicy } from '../../registry/signing/index.js';
import type { SignatureVerifier } from './signature-gate.js';
import type { NamespaceTrust } from './signature-policy.js';

/** The SignatureVerifier over registry/signing: referrer bundles and cosign's legacy tag, via @sigstore/verify. */
export function sigstoreVerifier(registryOptions: object = {}): SignatureVerifier {
  const built = new WeakMap<NamespaceTrust, TrustPolicy>();
  return {
    async verify(ref, trust) {
      let policy = built.get(trust);
      if (!policy) {
        policy = buildTrustPolicy({
          keys: trust.keys,
          identities: trust.identities,
          ...(trust.trustedRoot
            ? { trustedRootJson: trust.trustedRoot.json, trustedRootName: trust.trustedRoot.name }
            : {}),
        });
        built.set(trust, policy);
      }
      let report: Awaited<ReturnType<typeof verifyImage>>;
      try {
        report = await verifyImage(ref, policy, registryOptions);
      } catch (err) {
        return { verified: false, reason: `its signatures could not be read (${(err as Error).message})` };
      }
      if (report.verified && report.signer) return { verified: true, signer: describeSigner(report.signer) };
      const reasons = report.signatures.map((s) => s.reason).filter(Boolean);
      return {
        verified: false,
        unsigned: report.signatures.length === 0,
        reason: reasons.length ? reasons.join('; ') : `it is unsigned (no Sigstore bundle refers to ${report.digest})`,
      };
    },
  };
}
