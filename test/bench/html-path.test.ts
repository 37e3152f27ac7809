import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixture, meshwasm } from '../sdk/build-fixture.js';

const work = mkdtempSync(path.join(tmpdir(), 'mw-bench-html-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bench --html to a path it cannot write fails before measuring', () => {
  it('exit 3 naming the path, nothing measured (a billion requests would otherwise run first)', async () => {
    const module = await buildFixture('header-filter');
    const html = path.join(work, 'no-such-dir', 'report.html');
    const r = await meshwasm('bench', module, '--requests', '1000000000', '--html', html);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`cannot write the --html report ${html}`);
    expect(r.stderr).toContain('ENOENT');
    expect(r.stdout).toBe('');
  }, 240_000);
});
