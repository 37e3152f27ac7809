import { RemoteRepository } from '../client/remote-repository.js';
import type { Descriptor } from '../content/descriptor.js';
import type { Target } from '../content/target.js';
import { sha256Digest } from '../digest.js';
import { RegistryError } from '../errors.js';
import { MediaType } from '../media-types.js';
import { referrersTag } from './media-types.js';

/**
 * Referrers (OCI distribution-spec 1.1, "Listing Referrers" and "Referrers Tag Schema"): artifacts
 * whose manifest names a subject. A registry with the referrers API lists them itself; for one
 * without it (CNCF distribution 2.8, Debian's docker-registry) the client keeps an image index
 * under the tag `sha256-<hex>` of the subject and adds each referrer to it. The OCI layout store
 * has no API either, so it keeps the same tag in its index.json: one code path for both.
 */
export type ReferrersMode = 'referrers-api' | 'tag-schema';

interface IndexDocument {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

/** Lists referrers of a subject: through the API when the registry has it, else the tag-schema index. */
export async function listReferrers(
  target: Target,
  subjectDigest: string,
): Promise<{ mode: ReferrersMode; referrers: Descriptor[] }> {
  if (target instanceof RemoteRepository) {
    const listed = await target.referrers(subjectDigest);
    if (listed) return { mode: 'referrers-api', referrers: listed };
  }
  const index = await readTagIndex(target, subjectDigest);
  return { mode: 'tag-schema', referrers: index?.manifests ?? [] };
}

/**
 * Stores an artifact manifest (whose `subject` is set) and its blobs, then makes it listable:
 * nothing more on a registry with the referrers API, the tag-schema index otherwise.
 */
export async function attachReferrer(
  target: Target,
  subjectDigest: string,
  manifest: { desc: Descriptor; bytes: Uint8Array },
  blobs: { desc: Descriptor; bytes: Uint8Array }[],
): Promise<ReferrersMode> {
  for (const b of blobs) if (!(await target.exists(b.desc))) await target.push(b.desc, b.bytes);
  await target.push(manifest.desc, manifest.bytes);
  if (target instanceof RemoteRepository && (await target.referrers(subjectDigest))) return 'referrers-api';
  const index: IndexDocument = (await readTagIndex(target, subjectDigest)) ?? {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [],
  };
  if (!index.manifests.some((m) => m.digest === manifest.desc.digest)) index.manifests.push(manifest.desc);
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  const desc = { mediaType: MediaType.ociIndex, digest: sha256Digest(bytes), size: bytes.byteLength };
  await target.pushTagged(desc, bytes, referrersTag(subjectDigest));
  return 'tag-schema';
}

async function readTagIndex(target: Target, subjectDigest: string): Promise<IndexDocument | undefined> {
  const tag = referrersTag(subjectDigest);
  let desc: Descriptor;
  try {
    desc = await target.resolve(tag);
  } catch (err) {
    if (err instanceof RegistryError && err.kind === 'not-found') return undefined;
    throw err;
  }
  const bytes = await target.fetch(desc);
  try {
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as IndexDocument;
    if (!Array.isArray(doc.manifests)) throw new Error('no manifests array');
    return doc;
  } catch (err) {
    throw new RegistryError(
      'invalid-input',
      `${target.name}: tag "${tag}" should hold the referrers index of ${subjectDigest} but is not an OCI index (${(err as Error).message}); delete the tag and sign again`,
    );
  }
}
