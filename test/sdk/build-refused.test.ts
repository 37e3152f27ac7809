import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meshwasm } from './build-fixture.js';

const work = mkdtempSync(path.join(tmpdir(), 'mw-refused-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GOOD = `import { HttpContext, RootContext, registerRootContext } from "meshwasm/sdk";
export * from "meshwasm/sdk/exports";
class Root extends RootContext {
  createHttpContext(id: u32): HttpContext | null { return new HttpContext(id, this); }
}
registerRootContext((id: u32): RootContext => new Root(id));
`;
// Compiles, but exports no ABI marker and no callbacks: a module every proxy refuses.
const NOT_PROXY_WASM = 'export function add(a: i32, b: i32): i32 { return a + b; }\n';

describe('a module that fails the build checks never replaces the last good one, nor leaves the machine', () => {
  const dir = path.join(work, 'project');
  const module = path.join(dir, 'build', 'release.wasm');

  it('build exits 8 and leaves build/release.wasm as the last good build wrote it, with no temp files', async () => {
    mkdirSync(path.join(dir, 'assembly'), { recursive: true });
    writeFileSync(path.join(dir, 'assembly', 'index.ts'), GOOD);
    const good = await meshwasm('build', dir);
    expect(good.status, good.stderr).toBe(0);
    const before = readFileSync(module);

    writeFileSync(path.join(dir, 'assembly', 'index.ts'), NOT_PROXY_WASM);
    const refused = await meshwasm('build', dir);
    expect(refused.status).toBe(8);
    expect(refused.stderr).toContain('no ABI version marker exported');
    expect(refused.stderr).toContain('(the previous build/release.wasm is untouched)');
    expect(readFileSync(module).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(module))).toEqual(['release.wasm']);
  }, 240_000);

  it('a first build that fails its checks writes no module at all', async () => {
    const fresh = path.join(work, 'fresh');
    mkdirSync(path.join(fresh, 'assembly'), { recursive: true });
    writeFileSync(path.join(fresh, 'assembly', 'index.ts'), NOT_PROXY_WASM);
    const r = await meshwasm('build', fresh);
    expect(r.status).toBe(8);
    expect(existsSync(path.join(fresh, 'build'))).toBe(false);
  }, 240_000);

  it('push refuses such a module (exit 3, naming the check) and --force pushes it', async () => {
    // Speaks ABI 0.2.1 (so the registry's own format check passes) but imports a function no
    // proxy provides and has no allocator: what "meshwasm build" refuses.
    const wat = path.join(work, 'broken.wat');
    writeFileSync(
      wat,
      '(module (import "env" "not_a_host_function" (func)) (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")))',
    );
    const broken = path.join(work, 'broken.wasm');
    const compiled = spawnSync('wat2wasm', [wat, '-o', broken], { encoding: 'utf8' });
    expect(compiled.status, compiled.stderr).toBe(0);
    const layout = path.join(work, 'layout');
    const refused = await meshwasm('push', broken, `oci:${layout}:v1`);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain('not_a_host_function');
    expect(refused.stderr).toContain('--force');
    expect(existsSync(layout)).toBe(false);

    const forced = await meshwasm('push', broken, `oci:${layout}:v1`, '--force', '-o', 'json');
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ size: readFileSync(broken).byteLength });
  });
});
