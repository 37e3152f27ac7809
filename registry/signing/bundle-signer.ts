import type { Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';

/** Who a bundle says signed it, read without verifying anything (inspect shows it; verify checks it). */
export type SignerIdentity =
  | { kind: 'key'; keyId: string }
  | { kind: 'keyless'; issuer: string; subject: string }
  | { kind: 'unknown' };

// Fulcio's certificate extensions for the OIDC issuer (sigstore/fulcio docs/oid-info.md): v2 is DER, v1 raw.
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

export function signerOfBundle(bundle: Bundle): SignerIdentity {
  const vm = bundle.verificationMaterial.content;
  if (vm.$case === 'publicKey') return { kind: 'key', keyId: vm.publicKey.hint };
  const raw = vm.$case === 'certificate' ? vm.certificate.rawBytes : vm.x509CertificateChain.certificates[0]?.rawBytes;
  if (!raw) return { kind: 'unknown' };
  return identityOfCertificate(X509Certificate.parse(raw));
}

export function identityOfCertificate(cert: X509Certificate): SignerIdentity {
  const v2 = cert.extension(OID_ISSUER_V2);
  const issuer = v2
    ? (v2.valueObj.subs?.[0]?.value.toString('ascii') ?? '')
    : (cert.extension(OID_ISSUER_V1)?.value.toString('ascii') ?? '');
  return { kind: 'keyless', issuer, subject: cert.subjectAltName ?? '' };
}

export function describeSigner(s: SignerIdentity): string {
  if (s.kind === 'key') return `key ${s.keyId.slice(0, 16)}`;
  if (s.kind === 'keyless') return `${s.subject} (issuer ${s.issuer})`;
  return 'an unknown signer';
}
