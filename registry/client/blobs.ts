import { RegistryError } from '../errors.js';
import { verifyDigest } from '../digest.js';
import type { Descriptor } from '../content/descriptor.js';
import type { HttpResponse } from './http.js';
import { followRedirects } from './redirects.js';
import { errorDetail, isRetryable, RetryableStatus, type RepositoryClient } from './repository-client.js';
import { withRetry } from './retry.js';

export interface UploadOptions {
  /** Blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT. Default 8 MiB. */
  chunkSize?: number;
  /** A repository on the same registry that may already hold the blob: mounted instead of uploaded. */
  mountFrom?: string;
}

export async function blobExists(c: RepositoryClient, desc: Descriptor): Promise<boolean> {
  const res = await c.request(
    { method: 'HEAD', url: `${c.repository}/blobs/${desc.digest}`, maxBytes: 0 },
    { scopes: c.scopes(['pull']), what: `check blob ${desc.digest} in repository "${c.repository}"`, retry: true },
  );
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw new RegistryError(
    'remote',
    `check blob: registry ${c.registry} answered ${res.status} for blob ${desc.digest} in repository "${c.repository}"`,
    res.status,
  );
}

/** GETs a blob (following the storage redirects registries use) and checks its digest before returning it. */
export async function fetchBlob(c: RepositoryClient, desc: Descriptor, maxBytes: number): Promise<Uint8Array> {
  const what = `pull: blob ${desc.digest} for repository "${c.repository}"`;
  if (desc.size > maxBytes) {
    throw new RegistryError(
      'invalid-input',
      `${what}: its descriptor says ${desc.size} bytes, over the limit of ${maxBytes}; refused (raise --max-size if you trust this image)`,
    );
  }
  let res = await c.request(
    { method: 'GET', url: `${c.repository}/blobs/${desc.digest}`, maxBytes },
    { scopes: c.scopes(['pull']), what, retry: true },
  );
  // Blobs often live in object storage: the registry redirects there (credentials stay home).
  res = await followRedirects(c, res, { maxBytes }, what, c.scopes(['pull']));
  if (res.status === 404)
    throw new RegistryError(
      'not-found',
      `${what}: registry ${c.registry} has no such blob; the image is incomplete, push it again`,
      404,
    );
  if (res.status !== 200)
    throw new RegistryError(
      'remote',
      `${what}: registry ${c.registry} answered ${res.status} ${errorDetail(res)}`,
      res.status,
    );
  verifyDigest(res.body, desc.digest, what);
  return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
}

/**
 * Uploads a blob: cross-repository mount when asked, else POST a session then one PUT (or PATCH
 * chunks then PUT). A dropped connection or 5xx restarts the whole session, since a broken
 * session's offset cannot be trusted; the registry only commits a blob whose digest checks.
 */
export async function uploadBlob(
  c: RepositoryClient,
  desc: Descriptor,
  content: Uint8Array,
  opts: UploadOptions = {},
): Promise<void> {
  const what = `push: blob ${desc.digest} to repository "${c.repository}"`;
  const chunkSize = opts.chunkSize ?? 8 << 20;
  const scopes = c.scopes(['pull', 'push'], opts.mountFrom ? [`repository:${opts.mountFrom}:pull`] : []);
  const once = async (): Promise<void> => {
    const start = opts.mountFrom
      ? `${c.repository}/blobs/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(opts.mountFrom)}`
      : `${c.repository}/blobs/uploads/`;
    let res = await c.request({ method: 'POST', url: start, maxBytes: 1 << 16 }, { scopes, what, retry: false });
    if (res.status === 201) return; // mounted: nothing to upload
    if (res.status !== 202) throw statusError(c, what, res);
    let location = nextLocation(res, what);
    try {
      if (content.byteLength <= chunkSize) {
        location.searchParams.set('digest', desc.digest);
        res = await c.request(
          {
            method: 'PUT',
            url: location,
            headers: { 'content-type': 'application/octet-stream' },
            body: content,
            maxBytes: 1 << 16,
          },
          { scopes, what, retry: false },
        );
      } else {
        for (let off = 0; off < content.byteLength; off += chunkSize) {
          const chunk = content.subarray(off, Math.min(off + chunkSize, content.byteLength));
          res = await c.request(
            {
              method: 'PATCH',
              url: location,
              body: chunk,
              maxBytes: 1 << 16,
              headers: {
                'content-type': 'application/octet-stream',
                'content-range': `${off}-${off + chunk.byteLength - 1}`,
              },
            },
            { scopes, what, retry: false },
          );
          if (res.status !== 202) throw statusError(c, what, res);
          location = nextLocation(res, what);
        }
        location.searchParams.set('digest', desc.digest);
        res = await c.request({ method: 'PUT', url: location, maxBytes: 1 << 16 }, { scopes, what, retry: false });
      }
      if (res.status !== 201) throw statusError(c, what, res);
    } catch (err) {
      // Best effort: tell the registry to drop the broken session so it holds no half-written upload.
      await c
        .request({ method: 'DELETE', url: location, maxBytes: 1 << 16 }, { scopes, what, retry: false })
        .catch(() => undefined);
      throw err;
    }
  };
  try {
    await withRetry(once, isRetryable, c.options.retry);
  } catch (err) {
    throw c.remoteError(err, what);
  }
}

function nextLocation(res: { headers: Record<string, unknown>; url: URL }, what: string): URL {
  const loc = res.headers.location;
  if (typeof loc !== 'string')
    throw new RegistryError('remote', `${what}: registry answered without an upload Location`);
  return new URL(loc, res.url);
}

function statusError(c: RepositoryClient, what: string, res: HttpResponse): Error {
  const status = res.status;
  const detail = errorDetail(res);
  // 5xx mid-session: retryable, and withRetry restarts the whole session.
  if (status >= 500 || status === 429) return new RetryableStatus(res);
  if (status === 404)
    return new RegistryError(
      'not-found',
      `${what}: registry ${c.registry} answered 404 ${detail}; does repository "${c.repository}" accept pushes?`,
      status,
    );
  if (status === 400)
    return new RegistryError(
      'invalid-input',
      `${what}: registry ${c.registry} refused the blob (400 ${detail})`,
      status,
    );
  return new RegistryError('remote', `${what}: registry ${c.registry} answered ${status} ${detail}`, status);
}
