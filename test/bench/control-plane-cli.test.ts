import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the built CLI (npm run build first): a real control plane, real ECDS streams from two
// client processes, real module downloads. Figures are not asserted (no timed assertions): what
// is checked is that every phase completes for every proxy and the report holds together.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [bin, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });

describe('meshwasm bench-control-plane', () => {
  it('serves 12 proxies over real ECDS through a config change, a module change and a reconnect, with a status-keeping source', async () => {
    const html = join(mkdtempSync(join(tmpdir(), 'meshwasm-bench-cp-test-')), 'report.html');
    const r = await meshwasm(
      'bench-control-plane',
      '--proxies',
      '12',
      '--repeat',
      '1',
      '--status-source',
      '--per-connection',
      '5',
      '--html',
      html,
      '-o',
      'json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const [res] = report.results;
    expect(res.proxies).toBe(12);
    for (const phase of [res.connect, ...res.config, ...res.module, res.reconnect]) {
      expect(phase.acked).toBe(12);
      expect(phase.p99Ms).toBeGreaterThanOrEqual(phase.p50Ms);
      expect(phase.cpuUsPerProxy).toBeGreaterThan(0);
    }
    // Each proxy downloaded the first module and the new one; the config change downloaded nothing.
    expect(res.clients).toMatchObject({ fetches: 24, failures: 0 });
    expect(res.statusConsistent).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  }, 120_000);

  it('refuses a proxy count that is not a whole number, naming the flag', async () => {
    const r = await meshwasm('bench-control-plane', '--proxies', '10,lots');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--proxies "lots"');
  });
});
