import type { Descriptor, ImageManifest } from '../content/descriptor.js';
import type { Target } from '../content/target.js';
import { RegistryError } from '../errors.js';
import { MediaType } from '../media-types.js';
import { openTarget, type TargetOptions } from '../open-target.js';
import { fetchManifest } from '../pull.js';
import { pinnedString, referenceString } from '../reference.js';
import { signerOfBundle, type SignerIdentity } from './bundle-signer.js';
import { checkBundle, checkLegacyCosign, type SignatureCheck } from './check-bundle.js';
import { cosignSignatureTag, SigningAnnotation, SigningMediaType } from './media-types.js';
import { listReferrers, type ReferrersMode } from './referrers-store.js';
import type { TrustPolicy } from './trust-policy.js';
import { bundleFromJSON } from '@sigstore/bundle';

export interface VerifyReport {
  reference: string;
  /** The manifest digest whose signatures were checked. */
  digest: string;
  pinned: string;
  /** True when at least one signature verified under the policy. */
  verified: boolean;
  /** The signature that verified (the first), for one-line reports. */
  signer?: SignerIdentity;
  signatures: SignatureCheck[];
  /** How referrers were found. */
  referrers: ReferrersMode;
}

const maxSignatureBytes = 1 << 20;

/**
 * Verifies the signatures of the image a reference names: every Sigstore bundle referring to
 * its manifest, and cosign's legacy `sha256-<hex>.sig` tag. Verified means at least one of
 * them verifies under the policy; each is reported with who signed it and why it failed.
 */
export async function verifyImage(ref: string, policy: TrustPolicy, opts: TargetOptions = {}): Promise<VerifyReport> {
  const { ref: parsed, target } = openTarget(ref, { operation: 'verify', ...opts });
  const { desc } = await fetchManifest(target, parsed);
  const found = await findSignatures(target, desc.digest);
  const signatures: SignatureCheck[] = [];
  for (const s of found.bundles) {
    const outcome = checkBundle(s.json, desc.digest, policy);
    signatures.push({ source: 'referrer', digest: s.digest, ...outcome });
  }
  for (const l of found.legacy) {
    const outcome = checkLegacyCosign(l.payload, l.signature, l.hasCertificate, desc.digest, policy);
    signatures.push({ source: 'cosign-legacy', digest: l.digest, ...outcome });
  }
  const ok = signatures.find((s) => s.verified);
  return {
    reference: referenceString(parsed),
    digest: desc.digest,
    pinned: pinnedString(parsed, desc.digest),
    verified: !!ok,
    ...(ok ? { signer: ok.signer } : {}),
    signatures,
    referrers: found.mode,
  };
}

/** Signatures of a manifest, read but not verified: what `inspect` lists. */
export async function listSignatures(
  target: Target,
  subjectDigest: string,
): Promise<{ source: SignatureCheck['source']; digest: string; signer: SignerIdentity; signedAt?: string }[]> {
  const found = await findSignatures(target, subjectDigest);
  return [
    ...found.bundles.map((b) => {
      let signer: SignerIdentity = { kind: 'unknown' };
      try {
        signer = signerOfBundle(bundleFromJSON(b.json));
      } catch {
        // inspect lists what is there; verify says why a malformed bundle fails.
      }
      return { source: 'referrer' as const, digest: b.digest, signer, ...(b.created ? { signedAt: b.created } : {}) };
    }),
    ...found.legacy.map((l) => ({
      source: 'cosign-legacy' as const,
      digest: l.digest,
      signer: l.hasCertificate ? { kind: 'keyless' as const, issuer: '', subject: '' } : { kind: 'unknown' as const },
    })),
  ];
}

interface FoundSignatures {
  mode: ReferrersMode;
  bundles: { digest: string; json: unknown; created?: string }[];
  legacy: { digest: string; payload: Uint8Array; signature: string; hasCertificate: boolean }[];
}

async function findSignatures(target: Target, subjectDigest: string): Promise<FoundSignatures> {
  const { mode, referrers } = await listReferrers(target, subjectDigest);
  const bundles: FoundSignatures['bundles'] = [];
  for (const d of referrers) {
    if (d.artifactType && d.artifactType !== SigningMediaType.bundle) continue;
    const manifest = await readManifest(target, d);
    if (!manifest || manifest.subject?.digest !== subjectDigest) continue;
    if ((manifest.artifactType ?? d.artifactType) !== SigningMediaType.bundle) continue;
    const layer = manifest.layers.find((l) => l.mediaType === SigningMediaType.bundle);
    if (!layer || layer.size > maxSignatureBytes) continue;
    const bytes = await target.fetch(layer);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      json = undefined;
    }
    const created = manifest.annotations?.['org.opencontainers.image.created'];
    bundles.push({ digest: d.digest, json, ...(created ? { created } : {}) });
  }
  return { mode, bundles, legacy: await findLegacy(target, subjectDigest) };
}

async function findLegacy(target: Target, subjectDigest: string): Promise<FoundSignatures['legacy']> {
  let desc: Descriptor;
  try {
    desc = await target.resolve(cosignSignatureTag(subjectDigest));
  } catch (err) {
    if (err instanceof RegistryError && err.kind === 'not-found') return [];
    throw err;
  }
  const manifest = await readManifest(target, desc);
  if (!manifest) return [];
  const out: FoundSignatures['legacy'] = [];
  for (const l of manifest.layers) {
    const sig = l.annotations?.[SigningAnnotation.cosignSignature];
    if (l.mediaType !== SigningMediaType.cosignSimpleSigning || !sig || l.size > maxSignatureBytes) continue;
    out.push({
      digest: desc.digest,
      payload: await target.fetch(l),
      signature: sig,
      hasCertificate: !!l.annotations?.[SigningAnnotation.cosignCertificate],
    });
  }
  return out;
}

async function readManifest(target: Target, d: Descriptor): Promise<ImageManifest | undefined> {
  if (d.size > maxSignatureBytes) return undefined;
  const bytes = await target.fetch({ ...d, mediaType: d.mediaType || MediaType.ociManifest });
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes)) as ImageManifest;
    return Array.isArray(m.layers) ? m : undefined;
  } catch {
    return undefined;
  }
}
