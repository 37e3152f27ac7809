import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateModule } from '../../builder/index.js';
import { createHarness } from '../../host-sim/harness/index.js';
import { type BuildJson, buildFixtureFresh, meshwasm } from './build-fixture.js';

// Compiles take seconds alone and far longer on a loaded 2-core machine.
const BUILD_TIMEOUT = 240_000;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A project outside the repository, as a user has it (the SDK comes from the running meshwasm). */
function tempProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mw-build-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('builder', () => {
  it(
    'builds a header filter under 20 KB (release) that runs in the host simulator',
    async () => {
      const out = path.join(mkdtempSync(path.join(tmpdir(), 'mw-build-')), 'release.wasm');
      const r = await buildFixtureFresh('header-filter', out);
      expect(r.sizeBytes).toBeLessThan(20 * 1024);
      expect(r.abiVersion).toBe('0.2.1');
      const h = await createHarness({ module: out });
      const res = await h.request({
        headers: { ':method': 'GET', ':path': '/v1', ':authority': 'a', 'x-legacy': 'old' },
        response: { headers: { ':status': '200', server: 'upstream' } },
      });
      expect(res.upstreamHeader('x-original-path')).toBe('/v1');
      expect(res.upstreamHeader('x-legacy')).toBe('rewritten');
      expect(res.downstreamHeader('x-filtered-by')).toBe('meshwasm');
      expect(res.downstreamHeader('server')).toBeUndefined();
    },
    BUILD_TIMEOUT,
  );

  it(
    'builds a debug target with a name section and a source map',
    async () => {
      const out = path.join(mkdtempSync(path.join(tmpdir(), 'mw-build-')), 'debug.wasm');
      const r = await buildFixtureFresh('header-filter', out, 'debug');
      expect(r.sourceMap).toBe(`${out}.map`);
      const map = JSON.parse(readFileSync(`${out}.map`, 'utf8')) as { sources: string[] };
      expect(map.sources.some((s) => s.endsWith('assembly/index.ts'))).toBe(true);
      const names = WebAssembly.Module.customSections(new WebAssembly.Module(readFileSync(out)), 'name');
      expect(names.length).toBe(1);
    },
    BUILD_TIMEOUT,
  );

  it('validates modules: refuses foreign imports, a missing ABI marker, runtime imports', () => {
    const wat = (body: string) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'mw-wat-'));
      writeFileSync(path.join(dir, 'm.wat'), `(module ${body})`);
      spawnSync('wat2wasm', [path.join(dir, 'm.wat'), '-o', path.join(dir, 'm.wasm')]);
      return readFileSync(path.join(dir, 'm.wasm'));
    };
    const good =
      '(memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")) (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 0) (func (export "proxy_on_context_create") (param i32 i32)) (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 0) (func (export "_initialize"))';
    expect(validateModule(wat(good)).problems).toEqual([]);
    expect(
      validateModule(wat(`(import "env" "proxy_log" (func (param i32 i32 i32) (result i32))) ${good}`)).problems,
    ).toEqual([]);
    expect(validateModule(wat(`(import "js" "now" (func)) ${good}`)).problems).toEqual([
      'imports js.now: only "env" (proxy-wasm) and WASI imports are allowed',
    ]);
    expect(validateModule(wat(`(import "env" "abort" (func (param i32 i32 i32 i32))) ${good}`)).problems[0]).toMatch(
      /imports env\.abort from the AssemblyScript runtime/,
    );
    expect(validateModule(wat(`(import "env" "fetch" (func)) ${good}`)).problems).toEqual([
      'imports env.fetch, which is not a proxy-wasm host function',
    ]);
    expect(validateModule(wat(good.replace('proxy_abi_version_0_2_1', 'something_else'))).problems[0]).toMatch(
      /no ABI version marker/,
    );
    expect(validateModule(wat(good.replace('(memory (export "memory") 1)', '(memory 1)'))).problems).toEqual([
      'memory is not exported as "memory"',
    ]);
    expect(validateModule(new Uint8Array([1, 2, 3])).problems[0]).toMatch(/not a valid WebAssembly module/);
    // Calls whose answers arrive through callbacks need those callbacks exported.
    const httpCall =
      '(import "env" "proxy_http_call" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))';
    expect(validateModule(wat(`${httpCall} ${good}`)).problems[0]).toMatch(
      /imports proxy_http_call but does not export proxy_on_http_call_response/,
    );
    expect(
      validateModule(
        wat(`${httpCall} ${good} (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))`),
      ).problems,
    ).toEqual([]);
    const grpcCall =
      '(import "env" "proxy_grpc_call" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))';
    expect(validateModule(wat(`${grpcCall} ${good}`)).problems[0]).toMatch(
      /exports no gRPC callbacks.*export \* from "meshwasm\/sdk\/exports"/,
    );
    expect(
      validateModule(
        wat(
          `${grpcCall} ${good} (func (export "proxy_on_grpc_receive") (param i32 i32 i32)) (func (export "proxy_on_grpc_close") (param i32 i32 i32))`,
        ),
      ).problems,
    ).toEqual([]);
  });
});

describe('meshwasm build', () => {
  const header = readFileSync(path.join(fixture('header-filter'), 'assembly/index.ts'), 'utf8');

  it(
    '-o json reports the module, its size, ABI version, callbacks and imports',
    async () => {
      const dir = tempProject({ 'assembly/index.ts': header });
      const json = await meshwasm('build', dir, '-o', 'json');
      expect(json.status).toBe(0);
      const out = JSON.parse(json.stdout) as {
        module: string;
        sizeBytes: number;
        abiVersion: string;
        callbacks: string[];
        imports: { env: string[]; wasi: string[] };
        envoy: { oldest: string | null; oldestIstio: string | null; missing: string[] };
      };
      expect(out.module).toBe(path.join(dir, 'build/release.wasm'));
      // Our SDK imports nothing newer than the oldest Envoy in host-sim/envoy-releases.ts.
      expect(out.envoy).toEqual({ oldest: '1.32', oldestIstio: '1.24', missing: [] });
      expect(out.sizeBytes).toBe(readFileSync(out.module).byteLength);
      expect(out.abiVersion).toBe('0.2.1');
      expect(out.callbacks).toContain('proxy_on_request_headers');
      expect(out.imports.env.every((n) => n.startsWith('proxy_'))).toBe(true);
    },
    BUILD_TIMEOUT,
  );

  it(
    'stores release data compressed and reports it; --no-compress-data and debug builds keep it as asc wrote it',
    async () => {
      const dir = tempProject({ 'assembly/index.ts': header });
      const on = JSON.parse((await meshwasm('build', dir, '-o', 'json')).stdout) as BuildJson;
      expect(on.data).toMatchObject({ compressed: true, reason: null });
      expect(on.data.bytesAfter).toBeLessThan(on.data.bytesBefore / 2);
      const off = JSON.parse(
        (await meshwasm('build', dir, '--no-compress-data', '--out', path.join(dir, 'plain.wasm'), '-o', 'json'))
          .stdout,
      ) as BuildJson;
      expect(off.data).toEqual({
        compressed: false,
        bytesBefore: on.data.bytesBefore,
        bytesAfter: on.data.bytesBefore,
        decoderBytes: 0,
        reason: 'turned off (--no-compress-data)',
      });
      expect(off.sizeBytes - on.sizeBytes).toBe(on.data.bytesBefore - on.data.bytesAfter - on.data.decoderBytes);
      const debug = await meshwasm('build', dir, '--target', 'debug');
      expect(debug.status).toBe(0);
      expect(debug.stdout).toMatch(/data: +[\d.]+ (KB|bytes).*, not compressed: off for debug builds/);
      // A release source map maps code offsets, which compression would move.
      writeFileSync(path.join(dir, 'asconfig.json'), JSON.stringify({ targets: { release: { sourceMap: true } } }));
      const mapped = JSON.parse((await meshwasm('build', dir, '-o', 'json')).stdout) as BuildJson;
      expect(mapped.sourceMap).not.toBeNull();
      expect(mapped.data).toMatchObject({ compressed: false, reason: expect.stringMatching(/source map/) });
    },
    BUILD_TIMEOUT,
  );

  it(
    'honours asconfig.json targets (outFile) and prints size and ABI version',
    async () => {
      const dir = tempProject({
        'assembly/index.ts': header,
        'asconfig.json': JSON.stringify({
          targets: { release: { outFile: 'out/filter.wasm', optimizeLevel: 3, shrinkLevel: 2 } },
        }),
      });
      const r = await meshwasm('build', dir);
      expect(r.status).toBe(0);
      const size = readFileSync(path.join(dir, 'out/filter.wasm')).byteLength;
      expect(r.stdout).toContain(`built out/filter.wasm (release): ${(size / 1024).toFixed(1)} KB (${size} bytes)`);
      expect(r.stdout).toContain('ABI version: proxy-wasm 0.2.1');
    },
    BUILD_TIMEOUT,
  );

  it(
    'shows compile errors as asc reports them (file and line) and exits 8',
    async () => {
      const dir = tempProject({
        'assembly/index.ts': header.replace('return Action.Continue;', 'return Action.Contnue;'),
      });
      const r = await meshwasm('build', dir);
      expect(r.status).toBe(8);
      expect(r.stderr).toContain("Property 'Contnue' does not exist");
      expect(r.stderr).toMatch(/in assembly\/index\.ts\(\d+,\d+\)/);
      expect(r.stdout).toBe('');
    },
    BUILD_TIMEOUT,
  );

  it(
    'exits 8 when the module compiles but is not a proxy-wasm module',
    async () => {
      const dir = tempProject({ 'assembly/index.ts': 'export function add(a: i32, b: i32): i32 { return a + b; }\n' });
      const r = await meshwasm('build', dir);
      expect(r.status).toBe(8);
      expect(r.stderr).toContain('no ABI version marker exported');
    },
    BUILD_TIMEOUT,
  );

  it(
    'exits 5 for a missing project or entry file, 3 for a stub runtime or broken asconfig.json',
    async () => {
      const missing = await meshwasm('build', path.join(tmpdir(), 'mw-no-such-project'));
      expect(missing.status).toBe(5);
      expect(missing.stderr).toContain('meshwasm init');
      const noEntry = await meshwasm('build', tempProject({ 'README.md': 'x' }));
      expect(noEntry.status).toBe(5);
      expect(noEntry.stderr).toContain('entry file "assembly/index.ts" not found');
      const stub = await meshwasm(
        'build',
        tempProject({ 'assembly/index.ts': header, 'asconfig.json': '{"options":{"runtime":"stub"}}' }),
      );
      expect(stub.status).toBe(3);
      expect(stub.stderr).toContain('never frees memory');
      const broken = await meshwasm(
        'build',
        tempProject({ 'assembly/index.ts': header, 'asconfig.json': '{"options":' }),
      );
      expect(broken.status).toBe(3);
      expect(broken.stderr).toContain('asconfig.json is not valid JSON');
    },
    BUILD_TIMEOUT,
  );

  it(
    'builds a project that uses its own copy of the SDK from node_modules/meshwasm',
    async () => {
      const dir = tempProject({ 'assembly/index.ts': header });
      const sdk = path.join(dir, 'node_modules/meshwasm/sdk');
      cpSync(fileURLToPath(new URL('../../sdk', import.meta.url)), sdk, { recursive: true });
      // A marker only this copy has: the build must read the project's SDK, not the running one's.
      writeFileSync(
        path.join(sdk, 'index.ts'),
        readFileSync(path.join(sdk, 'index.ts'), 'utf8') + '\nexport const PROJECT_COPY: i32 = 1;\n',
      );
      writeFileSync(
        path.join(dir, 'assembly/index.ts'),
        header
          .replace('import {', 'import { PROJECT_COPY,')
          .replace('return Action.Continue;', 'return PROJECT_COPY == 1 ? Action.Continue : Action.Pause;'),
      );
      const r = await meshwasm('build', dir);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
    BUILD_TIMEOUT,
  );
});
