import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { meshwasm } from './build-fixture.js';

// The complete filter in docs/sdk.md must build and behave as the page says.
describe('docs/sdk.md example filter', () => {
  it('builds and answers 401 without the tenant header, passes with it', async () => {
    const doc = readFileSync(new URL('../../docs/sdk.md', import.meta.url), 'utf8');
    const start = doc.indexOf('// assembly/index.ts');
    const source = doc.slice(start, doc.indexOf('```', start));
    const dir = mkdtempSync(path.join(tmpdir(), 'mw-docs-'));
    mkdirSync(path.join(dir, 'assembly'));
    writeFileSync(path.join(dir, 'assembly/index.ts'), source);
    const b = await meshwasm('build', dir);
    expect(b.status, b.stderr).toBe(0);

    const h = await createHarness({ module: path.join(dir, 'build/release.wasm'), config: { header: 'x-tenant' } });
    const denied = await h.request({ headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } });
    expect(denied.downstream.status).toBe(401);
    expect(denied.downstream.body).toBe('missing x-tenant\n');
    expect(h.metric('filter.tenant.denied_total')).toBe(1);
    const ok = await h.request({
      headers: { ':method': 'GET', ':path': '/', ':authority': 'a', 'x-tenant': 'acme', 'x-internal': '1' },
    });
    expect(ok.upstreamHeader('x-internal')).toBeUndefined();
    expect(ok.downstreamHeader('x-served-tenant')).toBe('acme');
    expect(h.logs.map((l) => l.message)).toContain('tenant header: x-tenant');
  }, 240_000);
});
