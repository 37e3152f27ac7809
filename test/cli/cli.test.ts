import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the built CLI (npm test builds dist/ first), as a user would.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('meshwasm CLI', () => {
  it('prints its version and help', () => {
    const v = meshwasm('--version');
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = meshwasm('--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('run');
  });

  it('exits 2 on an unknown command or flag', () => {
    expect(meshwasm('frobnicate').status).toBe(2);
    expect(meshwasm('run', 'x.wasm', '--no-such-flag').status).toBe(2);
  });

  it('run: exits 5 naming a module that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-cli-'));
    const scenario = join(dir, 's.yaml');
    writeFileSync(
      scenario,
      'requests:\n  - request:\n      headers: { ":method": GET, ":path": /, ":authority": a }\n',
    );
    const r = meshwasm('run', join(dir, 'missing.wasm'), '-r', scenario);
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('missing.wasm');
    expect(r.stdout).toBe('');
  });

  it('run: exits 3 naming the file and field of a bad scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-cli-'));
    const wasm = join(dir, 'm.wasm');
    writeFileSync(wasm, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const scenario = join(dir, 's.yaml');
    writeFileSync(scenario, 'requests:\n  - request:\n      body: x\n');
    const r = meshwasm('run', wasm, '-r', scenario);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('requests[0].request.headers');
  });

  it('run: exits 3 for bytes that are not a wasm module', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-cli-'));
    const wasm = join(dir, 'junk.wasm');
    writeFileSync(wasm, 'not wasm at all');
    const scenario = join(dir, 's.yaml');
    writeFileSync(
      scenario,
      'requests:\n  - request:\n      headers: { ":method": GET, ":path": /, ":authority": a }\n',
    );
    const r = meshwasm('run', wasm, '-r', scenario, '-o', 'json');
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('junk.wasm is not a WebAssembly module');
  });
});
