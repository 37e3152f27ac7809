import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, wat2wasm } from './wat.js';

// Runs the built CLI (npm test builds dist/ first), as a user would.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const quick = ['--requests', '2000', '--runs', '2', '--warmup', '500'];

describe('meshwasm bench', () => {
  it('-o json prints the report on stdout only, and --html writes a page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-bench-cli-'));
    const mod = join(dir, 'header-rw.wasm');
    writeFileSync(mod, wat2wasm(fixture('header-rw.wat')));
    const html = join(dir, 'report.html');
    const r = meshwasm('bench', mod, ...quick, '-o', 'json', '--html', html);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.filter.hostCalls.perRequest).toBe(5);
    expect(rep.settings).toMatchObject({ runs: 2, requestsPerRun: 2000, warmupRequests: 500 });
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  });

  it('plays the requests of a scenario file and exits 9 when memory keeps growing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-bench-cli-'));
    const mod = join(dir, 'leak.wasm');
    writeFileSync(mod, wat2wasm(fixture('leak.wat')));
    const scenario = join(dir, 's.yaml');
    writeFileSync(
      scenario,
      'requests:\n  - request:\n      headers: { ":method": GET, ":path": /a, ":authority": a, x-big: "' +
        'x'.repeat(200) +
        '" }\n',
    );
    const r = meshwasm('bench', mod, '--scenario', scenario, '--requests', '20000', '--runs', '2', '--warmup', '500');
    expect(r.status).toBe(9);
    expect(r.stdout).toContain('GROWING');
    expect(r.stderr).toContain('kept growing');
  });

  it('names a missing module and a bad flag value', () => {
    const missing = meshwasm('bench', '/nonexistent/m.wasm');
    expect(missing.status).toBe(5);
    expect(missing.stderr).toContain('/nonexistent/m.wasm');
    const bad = meshwasm('bench', '/nonexistent/m.wasm', '--runs', 'zero');
    expect(bad.status).toBe(2);
  });
});
