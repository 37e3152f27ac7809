import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, wat2wasm } from './wat.js';

// Runs the built CLI (npm test builds dist/ first), as an author's CI would.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const quick = ['--requests', '2000', '--runs', '3', '--warmup', '500'];

describe('meshwasm bench --compare A.wasm B.wasm', () => {
  let dir: string;
  let fast: string;
  let slow: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mw-bench-compare-'));
    fast = join(dir, 'header-rw.wasm');
    slow = join(dir, 'header-rw-slow.wasm');
    writeFileSync(fast, wat2wasm(fixture('header-rw.wat')));
    writeFileSync(slow, wat2wasm(fixture('header-rw-slow.wat')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a module against itself (the same path twice) passes a 0% units gate; -o json has the documented shape', () => {
    const r = meshwasm('bench', '--compare', fast, fast, ...quick, '--max-units-regression', '0%', '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(Object.keys(rep).sort()).toEqual(
      ['a', 'b', 'baseline', 'difference', 'machine', 'outcomesDiffer', 'settings', 'verdict'].sort(),
    );
    expect(rep.a.label).toBe(fast);
    expect(rep.b.label).toBe(fast);
    expect(rep.settings).toMatchObject({ runs: 3, requestsPerRun: 2000, warmupRequests: 500 });
    expect(rep.difference.ratio.perRun).toHaveLength(3);
    expect(Object.keys(rep.difference).sort()).toEqual(
      ['basis', 'meteredUnits', 'pct', 'ratio', 'slowerRuns', 'otherClock', 'usPerRequest'].sort(),
    );
    expect(rep.difference.meteredUnits.delta).toBe(0);
    expect(rep.difference.basis).toBe('cpu');
    expect(rep.difference.otherClock.basis).toBe('wall');
    expect(rep.a.cpuUsPerRequest.samples).toHaveLength(3);
    expect(rep.verdict).toMatchObject({ units: { checked: true, regressed: false }, regressed: false });
  });

  it('exits 9 on a module that runs 1000 more metered units per request than A, and names both', () => {
    const r = meshwasm('bench', '--compare', fast, slow, ...quick, '--max-units-regression', '5%');
    expect(r.status).toBe(9);
    expect(r.stdout).toContain('REGRESSION  units');
    expect(r.stdout).toContain('+1000');
    expect(r.stderr).toContain(`${slow} regressed against ${fast}`);
    // The other way round, B is faster: no regression.
    const back = meshwasm(
      'bench',
      '--compare',
      slow,
      fast,
      ...quick,
      '--max-units-regression',
      '5%',
      '--clock',
      'wall',
      '-o',
      'json',
    );
    expect(back.status).toBe(0);
    const rep = JSON.parse(back.stdout);
    expect(rep.difference.meteredUnits.delta).toBe(-1000);
    expect(rep.difference.basis).toBe('wall');
    expect(rep.difference.otherClock.basis).toBe('cpu');
  });

  it('refuses bad input before measuring: missing file (5), invalid wasm (3), one module or a bad percentage (2)', () => {
    const missing = meshwasm('bench', '--compare', fast, join(dir, 'nope.wasm'));
    expect(missing.status).toBe(5);
    expect(missing.stderr).toContain(`module B ${join(dir, 'nope.wasm')}`);

    const junk = join(dir, 'junk.wasm');
    writeFileSync(junk, 'not wasm at all');
    const invalid = meshwasm('bench', '--compare', junk, fast);
    expect(invalid.status).toBe(3);
    expect(invalid.stderr).toContain(`module A ${junk} is not a valid WebAssembly module`);

    const one = meshwasm('bench', '--compare', fast);
    expect(one.status).toBe(2);
    expect(one.stderr).toContain('--compare takes two modules');

    const noFlag = meshwasm('bench', fast, slow);
    expect(noFlag.status).toBe(2);
    expect(noFlag.stderr).toContain('add --compare');

    const clockAlone = meshwasm('bench', fast, '--clock', 'wall');
    expect(clockAlone.status).toBe(2);
    expect(clockAlone.stderr).toContain('need --compare');

    const pct = meshwasm('bench', '--compare', fast, slow, '--max-regression', 'lots');
    expect(pct.status).toBe(2);
    expect(pct.stderr).toContain('--max-regression takes a percentage');
  });
});
