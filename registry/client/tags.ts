import { RegistryError } from '../errors.js';
import { errorDetail, header, type RepositoryClient } from './repository-client.js';

/** GET /tags/list, following the Link header across pages. */
export async function listTags(c: RepositoryClient): Promise<string[]> {
  const tags: string[] = [];
  let url: URL | string = `${c.repository}/tags/list?n=1000`;
  for (let page = 0; page < 100; page++) {
    const res = await c.request(
      { method: 'GET', url, maxBytes: 4 << 20 },
      { scopes: c.scopes(['pull']), what: `list tags of repository "${c.repository}"`, retry: true },
    );
    if (res.status === 404)
      throw new RegistryError(
        'not-found',
        `repository "${c.repository}" does not exist on registry ${c.registry}`,
        404,
      );
    if (res.status !== 200)
      throw new RegistryError(
        'remote',
        `list tags: registry ${c.registry} answered ${res.status} ${errorDetail(res)}`,
        res.status,
      );
    const body = JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = header(res, 'link');
    const next = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1];
    if (!next) break;
    url = new URL(next, res.url);
  }
  return tags.sort();
}
