import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useOpenRegistry } from './helpers/suite.js';

// The built CLI against a real docker-registry on 127.0.0.1 and an OCI layout on disk.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env } });
const work = mkdtempSync(path.join(tmpdir(), 'mw-tags-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const suite = useOpenRegistry('tags');

/** A module that passes push's checks, compiled by wat2wasm. */
function module(): string {
  const wat = path.join(work, 'm.wat');
  writeFileSync(
    wat,
    `(module
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
      (func (export "proxy_on_context_create") (param i32 i32))
      (func (export "_initialize")))`,
  );
  const out = path.join(work, 'm.wasm');
  const r = spawnSync('wat2wasm', [wat, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

describe('meshwasm tags: the tags of a repository, and pull pointing at it', () => {
  it('lists what was pushed, sorted, from a registry and from an OCI layout (-o json too)', () => {
    const wasm = module();
    const repo = `${suite.reg.host}/filters/tagged`;
    const layout = `oci:${path.join(work, 'layout')}`;
    for (const ref of [repo, layout]) {
      for (const tag of ['v2', 'v1']) {
        const p = meshwasm('push', wasm, `${ref}:${tag}`);
        expect(p.status, p.stderr).toBe(0);
      }
      const text = meshwasm('tags', ref);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toBe('v1\nv2\n');
      const json = meshwasm('tags', `${ref}:ignored`, '-o', 'json');
      expect(JSON.parse(json.stdout)).toMatchObject({ tags: ['v1', 'v2'] });
    }
  });

  it('a pull of a tag that does not exist names the tags command', () => {
    const r = meshwasm('pull', `${suite.reg.host}/filters/tagged:v9`, '--out', path.join(work, 'x.wasm'));
    expect(r.status).toBe(5);
    expect(r.stderr).toContain(`meshwasm tags ${suite.reg.host}/filters/tagged"`);
  });
});
