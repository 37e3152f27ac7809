/**
 * Names the signing code writes and reads. The bundle referrer follows cosign's
 * `--new-bundle-format` storage (sigstore/cosign specs/BUNDLE_SPEC.md); the `.sig` tag and its
 * annotations follow cosign's older specs/SIGNATURE_SPEC.md.
 */
export const SigningMediaType = {
  /** A Sigstore bundle, v0.3 (sigstore/protobuf-specs). Also the referrer manifest's artifactType. */
  bundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  /** The payload type of the DSSE envelope inside our bundles. */
  inTotoPayload: 'application/vnd.in-toto+json',
  /** cosign's legacy simple-signing payload, one per layer of the `sha256-<hex>.sig` manifest. */
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
} as const;

export const SigningAnnotation = {
  /** Legacy cosign: base64 signature of the layer's payload. */
  cosignSignature: 'dev.cosignproject.cosign/signature',
  /** Legacy cosign keyless: the Fulcio certificate (PEM). */
  cosignCertificate: 'dev.sigstore.cosign/certificate',
  /** On the referrer manifest, as cosign writes them, so registries' UIs and `oras discover` show what it is. */
  bundleContent: 'dev.sigstore.bundle.content',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
} as const;

/** The in-toto predicate type cosign uses for a plain image signature in the bundle format. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** The config of an artifact manifest: the OCI empty descriptor (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  bytes: new TextEncoder().encode('{}'),
} as const;

/** The tag the OCI referrers tag schema uses for a subject digest (distribution-spec, "Referrers Tag Schema"). */
export function referrersTag(subjectDigest: string): string {
  return subjectDigest.replace(':', '-');
}

/** cosign's legacy signature tag for a subject digest. */
export function cosignSignatureTag(subjectDigest: string): string {
  return `${referrersTag(subjectDigest)}.sig`;
}
