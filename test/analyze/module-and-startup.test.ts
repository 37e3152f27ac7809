import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushModule } from '../../registry/index.js';
import { modules } from './helpers/wat-modules.js';
import {
  analyzeYaml,
  codes,
  only,
  startRegistry,
  tempFile,
  wasmPlugin,
  type RunningRegistry,
} from './helpers/setup.js';

describe('analyze: the module and its start-up in the host simulator', () => {
  let reg: RunningRegistry;
  const push = async (name: string, bytes: Uint8Array, rootIds?: string[]) => {
    const p = await pushModule(bytes, `${reg.host}/filters/${name}:v1`, rootIds ? { rootIds } : {});
    return { url: `oci://${reg.host}/filters/${name}:v1`, sha256: p.manifestDigest.slice(7) };
  };
  beforeAll(async () => {
    reg = await startRegistry();
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('MW0301: bytes that are not a wasm module (file:// url, as Istio accepts)', async () => {
    const path = tempFile('plugin.wasm', 'this is not wasm');
    const r = await analyzeYaml([wasmPlugin('text', { url: `file://${path}` })]);
    expect(only(r, 'MW0301').message).toContain('magic number');
  });

  it('MW0301: a wasm module with no proxy-wasm ABI marker', async () => {
    const { assemble } = await import('./helpers/wat-modules.js');
    const bare = assemble(
      '(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 0)))',
    );
    const path = tempFile('bare.wasm', bare);
    const r = await analyzeYaml([wasmPlugin('bare', { url: `file://${path}` })]);
    expect(only(r, 'MW0301').message).toContain('ABI marker');
  });

  it('MW0302: an import Envoy does not provide is named', async () => {
    const img = await push('unknown-import', modules.unknownImport());
    const r = await analyzeYaml([wasmPlugin('imp', img)]);
    const f = only(r, 'MW0302');
    expect(f.details).toMatchObject({ imports: ['env.proxy_get_secret_token'], needsNewerEnvoy: [] });
    expect(f.message).toContain('which no Envoy provides');
    expect(codes(r)).not.toContain('MW0311'); // not run: Envoy would not load it
  });

  it('MW0302: imports only a newer Envoy provides are named with the release that has them (host-sim/envoy-releases.ts)', async () => {
    const { compileFixture } = await import('../fixtures/compile.js');
    const path = tempFile('emscripten.wasm', await compileFixture('conformance/emscripten_wasi.wat'));
    const old = await analyzeYaml([wasmPlugin('new-wasi', { url: `file://${path}` })], { istioVersion: '1.30' });
    const f = only(old, 'MW0302');
    expect(f.message).toContain(
      'imports Envoy 1.38 (Istio 1.30) lacks: wasi_snapshot_preview1.clock_res_get (Envoy 1.39+, Istio 1.31+)',
    );
    expect(f.message).not.toContain('pthread_equal');
    const current = await analyzeYaml([wasmPlugin('new-wasi', { url: `file://${path}` })], { istioVersion: '1.31' });
    expect(codes(current)).not.toContain('MW0302');
  });

  it('MW0303: an ABI 0.2.1 module against Istio 1.8, which speaks 0.1.0 and 0.2.0', async () => {
    const img = await push('good', modules.good());
    const r = await analyzeYaml([wasmPlugin('old', img)], { istioVersion: '1.8' });
    const f = only(r, 'MW0303');
    expect(f.details).toMatchObject({ abiVersions: ['0.2.1'], spoken: ['0.2.0', '0.1.0'], istioVersion: '1.8' });
  });

  it('MW0304: an ABI 0.1.0 module loads but is flagged as legacy', async () => {
    const img = await push('abi010', modules.abi010());
    const r = await analyzeYaml([wasmPlugin('legacy', img)]);
    expect(only(r, 'MW0304').severity).toBe('Warning');
    expect(codes(r)).toContain('MW0311'); // it still starts
  });

  it('MW0305: a module that traps in _initialize', async () => {
    const img = await push('trap-init', modules.trapsAtStart());
    const r = await analyzeYaml([wasmPlugin('init', img)]);
    expect(only(r, 'MW0305').message).toContain('_initialize');
  });

  it("MW0306: on_vm_start returning false is reported with the filter's log line", async () => {
    const img = await push('vmstart', modules.rejectsVmStart());
    const r = await analyzeYaml([wasmPlugin('vmstart', img)]);
    const f = only(r, 'MW0306');
    expect(f.message).toContain('vm: AUTHZ_MODE env var missing');
  });

  it("MW0306 depends on vmConfig.env: the manifest's INLINE env reaches the VM", async () => {
    const img = await push('needs-env', modules.needsEnv());
    const without = await analyzeYaml([wasmPlugin('noenv', img)]);
    expect(only(without, 'MW0306').message).toContain('AUTHZ_MODE');
    const withEnv = await analyzeYaml([
      wasmPlugin('env', { ...img, vmConfig: { env: [{ name: 'AUTHZ_MODE', value: 'strict' }] } }),
    ]);
    expect(codes(withEnv)).not.toContain('MW0306');
    expect(codes(withEnv)).toContain('MW0311');
  });

  it('MW0307: on_configure refusing pluginConfig is reported with the log line and the config field names', async () => {
    const img = await push('rejects', modules.rejectsConfig());
    const r = await analyzeYaml([wasmPlugin('authz', { ...img, pluginConfig: { rule: 'allow' } })]);
    const f = only(r, 'MW0307');
    expect(f.subject).toBe('WasmPlugin default/authz');
    expect(f.message).toContain('authz: config has no "rules" field');
    // Field paths, never values: configurations hold secrets (issue 14 item 10).
    expect(f.message).toContain('pluginConfig fields: rule; values not shown');
    expect(f.message).not.toContain('allow"');
  });

  it('MW0308: a trap in on_configure', async () => {
    const img = await push('trap-configure', modules.trapsInConfigure());
    const r = await analyzeYaml([wasmPlugin('trap', img)]);
    expect(only(r, 'MW0308').message).toContain('proxy_on_configure');
  });

  it('MW0309: a root id the module refuses (it logs and aborts for unknown ids)', async () => {
    const img = await push('rootid', modules.rootIdAuthz());
    const bad = await analyzeYaml([wasmPlugin('wrong', { ...img, pluginName: 'authn' })]);
    expect(only(bad, 'MW0309').message).toContain('"authn"');
    const ok = await analyzeYaml([wasmPlugin('right', { ...img, pluginName: 'authz' })]);
    expect(codes(ok)).not.toContain('MW0309');
    expect(codes(ok)).not.toContain('MW0310'); // the probe id was refused, so "authz" is confirmed
  });

  it('MW0309: a root id missing from the ids recorded in the image', async () => {
    const img = await push('declared', modules.good(), ['authz', 'stats']);
    const r = await analyzeYaml([wasmPlugin('declared', { ...img, pluginName: 'authn' })]);
    expect(only(r, 'MW0309').details).toMatchObject({ rootId: 'authn', registered: ['authz', 'stats'] });
  });

  it('MW0310: a module that does nothing visible under any root id cannot confirm it', async () => {
    const img = await push('quiet', modules.quiet());
    const r = await analyzeYaml([wasmPlugin('quiet', { ...img, pluginName: 'authz' })]);
    expect(only(r, 'MW0310').severity).toBe('Info');
    // A module with a visible effect that serves every id alike is not flagged.
    const good = await push('good', modules.good());
    const r2 = await analyzeYaml([wasmPlugin('any', { ...good, pluginName: 'authz' })]);
    expect(codes(r2)).not.toContain('MW0310');
  });

  it('MW0308 quotes the panic line of a Go-style runtime that traps in on_configure; MW0314 reports a trap in its first on_tick', async () => {
    const { compileFixture } = await import('../fixtures/compile.js');
    const path = tempFile('go_panic.wasm', await compileFixture('conformance/go_panic.wat'));
    const atConfigure = await analyzeYaml([wasmPlugin('panics', { url: `file://${path}` })]);
    expect(only(atConfigure, 'MW0308').message).toContain('panic: runtime error: index out of range [0] with length 0');
    const atTick = await analyzeYaml([wasmPlugin('ticker', { url: `file://${path}`, pluginConfig: { mode: 'tick' } })]);
    const f = only(atTick, 'MW0314');
    expect(f.details).toMatchObject({ callback: 'proxy_on_tick' });
    expect(f.message).toContain('the filter logged: panic: runtime error');
    expect(codes(atConfigure)).not.toContain('MW0314');
  });

  it('MW0311, MW0312, MW0313: figures always; warnings above --max-module-size and --max-startup-ms', async () => {
    const img = await push('good', modules.good());
    const r = await analyzeYaml([wasmPlugin('figures', img)], { limits: { maxModuleBytes: 100, maxStartupMs: 0 } });
    const figures = only(r, 'MW0311').details as { bytes: number; startupMs: number };
    expect(figures.bytes).toBeGreaterThan(100);
    expect(only(r, 'MW0312').details).toMatchObject({ bytes: figures.bytes, limit: 100 });
    expect(only(r, 'MW0313').details).toMatchObject({ limitMs: 0 });
    const relaxed = await analyzeYaml([wasmPlugin('figures', img)]);
    expect(codes(relaxed)).not.toContain('MW0312');
  });
});
