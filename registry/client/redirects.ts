import { send, type HttpResponse } from './http.js';
import { header, isRetryable, type RepositoryClient } from './repository-client.js';
import { withRetry } from './retry.js';

/** Redirect hops followed before giving up (Go's http client stops at 10; registries use one). */
const maxHops = 5;

/**
 * Follows the redirects a registry may answer a GET with: blobs (to object storage) and, as the
 * distribution spec allows, manifests too. Credentials go along only to the registry's own
 * origin (scheme, host and port): a redirect target elsewhere carries its own signature in the
 * URL and must never see our Authorization header.
 */
export async function followRedirects(
  c: RepositoryClient,
  first: HttpResponse,
  req: { headers?: Record<string, string>; maxBytes: number },
  what: string,
  scopes: string[],
): Promise<HttpResponse> {
  let res = first;
  for (let hops = 0; res.status >= 301 && res.status <= 308 && res.status !== 304 && hops < maxHops; hops++) {
    const loc = header(res, 'location');
    if (!loc) break;
    const url = new URL(loc, res.url);
    const sameOrigin = url.origin === c.url('').origin;
    res = sameOrigin
      ? await c.request(
          { method: 'GET', url, headers: req.headers, maxBytes: req.maxBytes },
          { scopes, what, retry: true },
        )
      : await withRetry(
          () => send({ method: 'GET', url, headers: req.headers, maxBytes: req.maxBytes }, c.transport),
          isRetryable,
          c.options.retry,
        ).catch((err) => {
          throw c.remoteError(err, what);
        });
  }
  return res;
}
