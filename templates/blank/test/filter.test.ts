import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from 'meshwasm/harness';

// `npm test` builds build/release.wasm first (see package.json).
const module = fileURLToPath(new URL('../build/release.wasm', import.meta.url));
const config = JSON.parse(readFileSync(new URL('../config.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const header = (headers: [string, string][], name: string) => headers.find(([k]) => k === name)?.[1];

describe('blank filter', () => {
  let close: (() => unknown) | undefined;
  afterEach(async () => { await close?.(); close = undefined; });

  it('adds and removes request headers as configured', async () => {
    const h = await createHarness({ module, config });
    close = () => h.close();
    const r = await h.request({
      headers: { ':method': 'GET', ':path': '/hello', ':authority': 'example.com', 'x-internal-debug': '1' },
    });
    expect(header(r.upstream.headers, 'x-hello')).toBe('world');
    expect(header(r.upstream.headers, 'x-internal-debug')).toBeUndefined();
  });

  it('tags the response with the request path', async () => {
    const h = await createHarness({ module, config });
    close = () => h.close();
    const r = await h.request({
      headers: { ':method': 'GET', ':path': '/orders/7', ':authority': 'example.com' },
      response: { headers: { ':status': '200' }, body: 'ok' },
    });
    expect(r.downstream.status).toBe(200);
    expect(header(r.downstream.headers, 'x-filter')).toBe('blank; path=/orders/7');
  });

  it('counts requests', async () => {
    const h = await createHarness({ module, config });
    close = () => h.close();
    for (let i = 0; i < 3; i++) await h.request({ headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } });
    expect(h.metric('blank_requests_total')).toBe(3);
  });

  it('rejects a configuration that is not JSON', async () => {
    await expect(createHarness({ module, config: '{not json' })).rejects.toThrow(/not valid JSON/);
  });
});
