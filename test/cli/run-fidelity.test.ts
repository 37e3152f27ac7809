import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFixture } from '../fixtures/compile.js';

// `meshwasm run` against Envoy's rules for traps outside a stream and for the import set of a
// release (run `npm run build` first: bin/meshwasm.js runs dist/).
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('meshwasm run: traps outside a stream and the Envoy release', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-run-fidelity-'));
  const scenario = join(dir, 's.yaml');
  const panic = join(dir, 'go_panic.wasm');
  const emscripten = join(dir, 'emscripten_wasi.wasm');
  beforeAll(async () => {
    const req = '  - request:\n      headers: { ":method": GET, ":path": /, ":authority": a }\n';
    writeFileSync(scenario, `requests:\n${req}    advanceMs: 1000\n${req}`);
    writeFileSync(panic, await compileFixture('conformance/go_panic.wat'));
    writeFileSync(emscripten, await compileFixture('conformance/emscripten_wasi.wat'));
  });

  it('exits 9 when on_configure traps, quoting the panic line; --verbose adds the whole guest output', () => {
    const r = meshwasm('run', panic, '-r', scenario);
    expect(r.status).toBe(9);
    expect(r.stderr).toContain('the filter logged: panic: runtime error: index out of range [0] with length 0');
    expect(r.stderr).not.toContain('goroutine 1 [running]');
    const v = meshwasm('run', panic, '-r', scenario, '--verbose');
    expect(v.status).toBe(9);
    expect(v.stderr).toContain('goroutine 1 [running]');
  });

  it('exits 9 when on_tick traps between requests, and -o json reports it as a vmTrap', () => {
    const r = meshwasm('run', panic, '-r', scenario, '--config', '"tick"', '-o', 'json');
    expect(r.status).toBe(9);
    const report = JSON.parse(r.stdout) as {
      requests: { vmTraps: { callback: string; logged?: string }[]; downstream: { status: number } }[];
    };
    expect(report.requests[0]!.vmTraps).toEqual([
      expect.objectContaining({ callback: 'proxy_on_tick', logged: expect.stringContaining('panic: runtime error') }),
    ]);
    expect(report.requests[1]!.downstream.status).toBe(503);
  });

  it('--envoy-version refuses (exit 3) a module importing what that Envoy lacks, and runs it on the newest', () => {
    const old = meshwasm('run', emscripten, '-r', scenario, '--envoy-version', '1.36');
    expect(old.status).toBe(3);
    expect(old.stderr).toContain('Envoy 1.36 does not provide');
    expect(old.stderr).toContain('wasi_snapshot_preview1.clock_res_get');
    expect(meshwasm('run', emscripten, '-r', scenario).status).toBe(0);
    expect(meshwasm('run', emscripten, '-r', scenario, '--envoy-version', 'newest').status).toBe(3);
  });
});
