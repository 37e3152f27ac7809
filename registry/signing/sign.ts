import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { bundleToJSON } from '@sigstore/bundle';
import {
  DSSEBundleBuilder,
  FulcioSigner,
  RekorWitness,
  type IdentityProvider,
  type Signer,
  type Witness,
} from '@sigstore/sign';
import type { Descriptor } from '../content/descriptor.js';
import { sha256Digest } from '../digest.js';
import { MediaType } from '../media-types.js';
import { openTarget, type TargetOptions } from '../open-target.js';
import { fetchManifest } from '../pull.js';
import { pinnedString, referenceString, repositoryString } from '../reference.js';
import { signerOfBundle, type SignerIdentity } from './bundle-signer.js';
import { keyIdOf, publicPemOf } from './keys.js';
import {
  COSIGN_SIGN_PREDICATE,
  EMPTY_CONFIG,
  IN_TOTO_STATEMENT_V1,
  SigningAnnotation,
  SigningMediaType,
} from './media-types.js';
import { attachReferrer, type ReferrersMode } from './referrers-store.js';

export type SigningMethod =
  | { kind: 'key'; privateKey: KeyObject }
  | {
      kind: 'keyless';
      /** An OIDC identity token (e.g. from a CI provider); Fulcio binds the certificate to its issuer and subject. */
      identityToken: string;
      /** Default https://fulcio.sigstore.dev. */
      fulcioURL?: string;
      /** Default https://rekor.sigstore.dev. */
      rekorURL?: string;
    };

export interface SignResult {
  reference: string;
  /** The manifest signed (the module image's manifest digest). */
  subjectDigest: string;
  pinned: string;
  /** Digest of the referrer manifest holding the bundle. */
  signatureDigest: string;
  /** How the referrer was made listable: the registry's API, or the sha256-<hex> tag index. */
  storedVia: ReferrersMode;
  signer: SignerIdentity;
  /** Rekor log index when the signature was witnessed by a transparency log. */
  tlogIndex?: string;
}

/**
 * Signs the manifest a reference names and stores the Sigstore bundle as its referrer. What is
 * signed is an in-toto statement whose subject is the manifest digest (cosign's bundle format,
 * predicate https://sigstore.dev/cosign/sign/v1), in a DSSE envelope: the digest covers the
 * config and every layer, so the module bytes are covered too.
 */
export async function signImage(ref: string, method: SigningMethod, opts: TargetOptions = {}): Promise<SignResult> {
  const { ref: parsed, target } = openTarget(ref, { operation: 'sign', ...opts });
  const { desc } = await fetchManifest(target, parsed);
  const statement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: repositoryString(parsed), digest: { sha256: desc.digest.slice('sha256:'.length) } }],
    predicateType: COSIGN_SIGN_PREDICATE,
    predicate: {},
  };
  const builder = new DSSEBundleBuilder({ ...signerFor(method), certificateChain: false });
  const bundle = await builder.create({
    data: Buffer.from(JSON.stringify(statement)),
    type: SigningMediaType.inTotoPayload,
  });
  const bundleBytes = new TextEncoder().encode(JSON.stringify(bundleToJSON(bundle)));
  const layer: Descriptor = {
    mediaType: SigningMediaType.bundle,
    digest: sha256Digest(bundleBytes),
    size: bundleBytes.byteLength,
  };
  const annotations = {
    [SigningAnnotation.bundleContent]: 'dsse-envelope',
    [SigningAnnotation.bundlePredicateType]: COSIGN_SIGN_PREDICATE,
    'org.opencontainers.image.created': new Date().toISOString(),
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: SigningMediaType.bundle,
    config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
    layers: [layer],
    subject: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size },
    annotations,
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  // The descriptor listed in the referrers index carries artifactType and annotations (distribution-spec).
  const manifestDesc: Descriptor = {
    mediaType: MediaType.ociManifest,
    digest: sha256Digest(manifestBytes),
    size: manifestBytes.byteLength,
    artifactType: SigningMediaType.bundle,
    annotations,
  };
  const storedVia = await attachReferrer(target, desc.digest, { desc: manifestDesc, bytes: manifestBytes }, [
    { desc: EMPTY_CONFIG, bytes: EMPTY_CONFIG.bytes },
    { desc: layer, bytes: bundleBytes },
  ]);
  const tlog = bundle.verificationMaterial.tlogEntries[0];
  return {
    reference: referenceString(parsed),
    subjectDigest: desc.digest,
    pinned: pinnedString(parsed, desc.digest),
    signatureDigest: manifestDesc.digest,
    storedVia,
    signer: signerOfBundle(bundle),
    ...(tlog ? { tlogIndex: tlog.logIndex } : {}),
  };
}

function signerFor(method: SigningMethod): { signer: Signer; witnesses: Witness[] } {
  if (method.kind === 'key') return { signer: new LocalKeySigner(method.privateKey), witnesses: [] };
  const identityProvider: IdentityProvider = { getToken: async () => method.identityToken };
  return {
    signer: new FulcioSigner({
      identityProvider,
      ...(method.fulcioURL ? { fulcioBaseURL: method.fulcioURL } : {}),
    }),
    // Rekor's "intoto" 0.0.2 entry type: the real Rekor takes it, and it is logged as proposed, so
    // @sigstore/mock's log (which does not canonicalize "dsse" entries as Rekor does) serves tests too.
    witnesses: [
      new RekorWitness({ entryType: 'intoto', ...(method.rekorURL ? { rekorBaseURL: method.rekorURL } : {}) }),
    ],
  };
}

/** A Signer over a local ECDSA P-256 key; the bundle names the key by its id (hint), as cosign does. */
class LocalKeySigner implements Signer {
  constructor(private readonly key: KeyObject) {}
  async sign(data: Buffer) {
    return {
      signature: cryptoSign('sha256', data, this.key),
      key: { $case: 'publicKey' as const, publicKey: publicPemOf(this.key), hint: keyIdOf(this.key) },
    };
  }
}
