import { RegistryError } from '../errors.js';
import { digestPattern, sha256Digest, verifyDigest } from '../digest.js';
import { manifestAccept } from '../media-types.js';
import type { Descriptor } from '../content/descriptor.js';
import { followRedirects } from './redirects.js';
import { errorDetail, header, type RepositoryClient } from './repository-client.js';

/** Manifests are small; anything bigger than this is refused unread (distribution's own limit is 4 MiB). */
export const maxManifestBytes = 4 << 20;

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

function notFound(c: RepositoryClient, reference: string, status: number, detail: string): RegistryError {
  const which = digestPattern.test(reference) ? `manifest ${reference}` : `tag "${reference}"`;
  if (/NAME_UNKNOWN/.test(detail))
    return new RegistryError(
      'not-found',
      `repository "${c.repository}" does not exist on registry ${c.registry}; check the name or push to it first`,
      status,
    );
  return new RegistryError(
    'not-found',
    `repository "${c.repository}" on registry ${c.registry} has no ${which}; list its tags with "meshwasm inspect ${c.registry}/${c.repository}:<tag>" or push it first`,
    status,
  );
}

/** GET a manifest by tag or digest; its bytes are checked against the digest that names or accompanies them. */
export async function getManifest(
  c: RepositoryClient,
  reference: string,
  /** The caller's --max-size; manifests never exceed maxManifestBytes either way. */
  maxBytes = maxManifestBytes,
): Promise<FetchedManifest> {
  const what = `pull: manifest ${reference} of repository "${c.repository}"`;
  const req = { headers: { accept: manifestAccept.join(', ') }, maxBytes: Math.min(maxBytes, maxManifestBytes) };
  const first = await c.request(
    { method: 'GET', url: `${c.repository}/manifests/${reference}`, ...req },
    { scopes: c.scopes(['pull']), what, retry: true },
  );
  // The distribution spec lets a registry redirect manifest GETs as it does blob GETs.
  const res = await followRedirects(c, first, req, what, c.scopes(['pull']));
  if (res.status === 404) throw notFound(c, reference, 404, errorDetail(res));
  if (res.status !== 200)
    throw new RegistryError(
      'remote',
      `${what}: registry ${c.registry} answered ${res.status} ${errorDetail(res)}`,
      res.status,
    );
  const bytes = new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  const claimed = header(res, 'docker-content-digest') ?? header(first, 'docker-content-digest');
  const expected = digestPattern.test(reference)
    ? reference
    : claimed && digestPattern.test(claimed)
      ? claimed
      : undefined;
  if (expected) verifyDigest(bytes, expected, what);
  const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim() || mediaTypeOf(bytes);
  return { descriptor: { mediaType, digest: expected ?? sha256Digest(bytes), size: bytes.byteLength }, bytes };
}

/** HEAD a manifest: its descriptor without the body (falls back to GET for registries that omit the digest header). */
export async function resolveManifest(
  c: RepositoryClient,
  reference: string,
  maxBytes = maxManifestBytes,
): Promise<Descriptor> {
  const what = `resolve: ${reference} in repository "${c.repository}"`;
  const res = await c.request(
    {
      method: 'HEAD',
      url: `${c.repository}/manifests/${reference}`,
      headers: { accept: manifestAccept.join(', ') },
      maxBytes: 0,
    },
    { scopes: c.scopes(['pull']), what, retry: true },
  );
  if (res.status === 404) throw notFound(c, reference, 404, '');
  const digest = header(res, 'docker-content-digest');
  const size = Number(header(res, 'content-length'));
  const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
  if (res.status === 200 && digest && digestPattern.test(digest) && Number.isFinite(size) && mediaType)
    return { mediaType, digest, size };
  return (await getManifest(c, reference, maxBytes)).descriptor;
}

/** PUT a manifest under a tag or its digest, with its own media type and its exact bytes. Safe to retry: it is idempotent. */
export async function putManifest(
  c: RepositoryClient,
  desc: Descriptor,
  bytes: Uint8Array,
  reference: string,
): Promise<void> {
  const what = `push: manifest ${reference} to repository "${c.repository}"`;
  const res = await c.request(
    {
      method: 'PUT',
      url: `${c.repository}/manifests/${reference}`,
      headers: { 'content-type': desc.mediaType },
      body: bytes,
      maxBytes: 1 << 16,
    },
    { scopes: c.scopes(['pull', 'push']), what, retry: true },
  );
  if (res.status === 201 || res.status === 200) {
    const got = header(res, 'docker-content-digest');
    if (got && got !== desc.digest)
      throw new RegistryError(
        'integrity',
        `${what}: registry ${c.registry} stored it as ${got}, expected ${desc.digest}`,
      );
    return;
  }
  const detail = errorDetail(res);
  if (res.status === 400)
    throw new RegistryError(
      'invalid-input',
      `${what}: registry ${c.registry} refused the manifest (400 ${detail})`,
      400,
    );
  if (res.status === 404) throw notFound(c, reference, 404, detail);
  throw new RegistryError('remote', `${what}: registry ${c.registry} answered ${res.status} ${detail}`, res.status);
}

/** When a registry sends no Content-Type, the manifest's own mediaType field (or its shape) tells. */
export function mediaTypeOf(bytes: Uint8Array): string {
  try {
    const m = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: string; manifests?: unknown };
    if (m.mediaType) return m.mediaType;
    return m.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return 'application/octet-stream';
  }
}
