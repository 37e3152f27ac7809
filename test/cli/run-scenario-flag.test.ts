import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, meshwasm } from '../sdk/build-fixture.js';

const work = mkdtempSync(path.join(tmpdir(), 'mw-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  requests: {
    name: string;
    upstream: { reached: boolean; headers: [string, string][] };
    downstream: { status: number };
  }[];
}

describe('meshwasm run: --scenario (old -r/--request), and a default request without one', () => {
  let module = '';
  const scenario = path.join(work, 'two.yaml');
  beforeAll(async () => {
    module = await buildFixture('header-filter');
    writeFileSync(
      scenario,
      [
        'requests:',
        '  - name: first',
        '    request: { headers: { ":method": GET, ":path": /a, ":authority": x } }',
        '  - name: second',
        '    request: { headers: { ":method": GET, ":path": /b, ":authority": x } }',
        '    response: { headers: { ":status": "404" } }',
      ].join('\n'),
    );
  }, 240_000);

  it("plays bench's default request when no scenario is given", async () => {
    const r = await meshwasm('run', module, '-o', 'json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.requests).toHaveLength(1);
    expect(report.requests[0]!.name).toContain('default request');
    expect(report.requests[0]!.upstream.reached).toBe(true);
    expect(report.requests[0]!.upstream.headers).toContainEqual([':path', '/api/v1/items?id=42']);
    expect(report.requests[0]!.downstream.status).toBe(200);
  });

  it('-s, --scenario and the old -r play the same scenario', async () => {
    const outputs: string[] = [];
    for (const flag of ['-s', '--scenario', '-r', '--request']) {
      const r = await meshwasm('run', module, flag, scenario, '-o', 'json');
      expect(r.status, `${flag}: ${r.stderr}`).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.requests.map((q) => [q.name, q.downstream.status])).toEqual([
        ['first', 200],
        ['second', 404],
      ]);
      outputs.push(r.stdout);
    }
    expect(new Set(outputs).size).toBe(1);
    const help = await meshwasm('help', 'run');
    expect(help.stdout).toContain('-s, --scenario <file>');
    expect(help.stdout).not.toContain('--request');
  });

  it('a scenario that does not exist: exit 5, naming it and the way out', async () => {
    const r = await meshwasm('run', module, '--scenario', path.join(work, 'nope.yaml'));
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('nope.yaml');
    expect(r.stderr).toContain('leave out --scenario');
  });
});
