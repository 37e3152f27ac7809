import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFixture } from '../fixtures/compile.js';
import { meshwasm } from '../sdk/build-fixture.js';

const work = mkdtempSync(path.join(tmpdir(), 'mw-run-local-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Diff {
  added: unknown[];
  removed: unknown[];
  changed: unknown[];
}

describe('meshwasm run: a local reply (C fixture local_response.c, clang wasm32-wasi)', () => {
  it('upstream.diff is empty when nothing reached the upstream, and still a diff when something did', async () => {
    const module = path.join(work, 'local_response.wasm');
    writeFileSync(module, await compileFixture('c/local_response.c'));
    const scenario = path.join(work, 's.yaml');
    writeFileSync(
      scenario,
      [
        'requests:',
        '  - name: denied',
        '    request: { headers: { ":method": GET, ":path": /deny, ":authority": a, x-one: "1", x-two: "2" } }',
        '  - name: passed',
        '    request: { headers: { ":method": GET, ":path": /ok, ":authority": a, x-one: "1" } }',
      ].join('\n'),
    );
    const r = await meshwasm('run', module, '--scenario', scenario, '-o', 'json');
    expect(r.status, r.stderr).toBe(0);
    const [denied, passed] = (
      JSON.parse(r.stdout) as { requests: { upstream: { reached: boolean; diff: Diff }; localReply: unknown }[] }
    ).requests;
    expect(denied!.upstream.reached).toBe(false);
    expect(denied!.localReply).toMatchObject({ status: 403 });
    expect(denied!.upstream.diff).toEqual({ added: [], removed: [], changed: [] });
    expect(passed!.upstream.reached).toBe(true);
    expect(passed!.upstream.diff).toEqual({ added: [], removed: [], changed: [] });

    const text = await meshwasm('run', module, '--scenario', scenario);
    expect(text.stdout).toContain('upstream: not reached');
    expect(text.stdout).not.toContain('    - x-two: 2');
  }, 120_000);
});
