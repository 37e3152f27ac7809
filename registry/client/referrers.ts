import type { Descriptor } from '../content/descriptor.js';
import type { RepositoryClient } from './repository-client.js';

/**
 * The referrers API (distribution spec 1.1): signatures and SBOMs that point at a manifest.
 * Returns undefined when the registry predates it (404), as CNCF distribution 2.8 does.
 */
export async function listReferrers(c: RepositoryClient, digest: string): Promise<Descriptor[] | undefined> {
  const res = await c.request(
    {
      method: 'GET',
      url: `${c.repository}/referrers/${digest}`,
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
      maxBytes: 4 << 20,
    },
    { scopes: c.scopes(['pull']), what: `list referrers of ${digest} in repository "${c.repository}"`, retry: true },
  );
  if (res.status !== 200) return undefined;
  try {
    const index = JSON.parse(res.body.toString('utf8')) as { manifests?: Descriptor[] };
    return index.manifests ?? [];
  } catch {
    return undefined;
  }
}
