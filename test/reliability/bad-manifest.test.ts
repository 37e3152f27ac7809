// Issue 14 item 5: a bad manifest never drops a filter. A manifest caught half-written, or edited
// to an invalid `phase`, keeps its last valid version serving (real proxy, real gRPC with Envoy's
// ECDS protos, real requests), with the error in status, `meshwasm status` and the Kubernetes
// Ready condition; only deleting the manifest removes the extension. Kubernetes mode runs against
// a server with the API's list/watch semantics (there is no real API server here).
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { KubernetesSource } from '../../control-plane/sources/kubernetes.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { FakeApiServer } from '../control-plane/fake-kube-api.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule, wasmPlugin } from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { runCli } from './helpers/run-cli.js';

describe('directory source: an invalid authz.yaml keeps the last valid authz in the chain', () => {
  const tagger = watModule('tagger');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stopXds: () => void;
  const dir = tempDir('bad-manifest');
  const cacheDir = tempDir('bad-manifest-cache');
  const file = () => join(dir, 'authz.yaml');

  const manifest = (tag: string, phase = 'AUTHZ') =>
    YAML.stringify(
      wasmPlugin('authz', {
        url: `${modules.url}/tagger.wasm`,
        sha256: sha256(tagger),
        phase,
        pluginName: 'tagger_root',
        pluginConfig: { tag },
      }),
    );
  const tagUpstreamSees = async () => {
    const n = up.seen.length;
    await fetch(`${proxy.url}/orders`);
    return up.seen[n]?.headers['x-filter-version'];
  };
  const authzStatus = () => cp.status().extensions.find((e) => e.name === 'authz');

  beforeAll(async () => {
    modules = await startModuleServer({ '/tagger.wasm': tagger });
    up = await startUpstream();
    writeFileSync(file(), manifest('v1'));
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource()], { dir: cacheDir }),
    });
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stopXds = await followXds(proxy, { address: cp.xdsAddress, nodeId: 'web-1', namespace: 'default' });
    await eventually(async () => (await tagUpstreamSees()) === '{"tag":"v1"}', 'the authz filter in the chain');
  });

  afterAll(async () => {
    stopXds?.();
    await proxy?.close();
    await cp?.close();
    await modules?.close();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('a half-written file: the filter stays, status names the error', async () => {
    const full = manifest('v2');
    // Cut inside the sha256: what an editor or `cp` leaves for a moment.
    writeFileSync(file(), full.slice(0, full.indexOf('sha256:') + 20));
    const s = await eventually(() => authzStatus()?.manifestError, 'the error in status');
    expect(s).toMatch(/spec\.sha256/);
    expect(authzStatus()?.state).toBe('Serving');
    expect(proxy.chain().filters.map((f) => f.name)).toEqual(['default.authz']);
    expect(await tagUpstreamSees()).toBe('{"tag":"v1"}');
  });

  it('an invalid phase: the filter stays; meshwasm status shows it (text and JSON) and exits 9', async () => {
    writeFileSync(file(), manifest('v2', 'SOMEWHERE'));
    await eventually(() => /spec\.phase/.test(authzStatus()?.manifestError ?? ''), 'the phase error in status');
    expect(await tagUpstreamSees()).toBe('{"tag":"v1"}');
    const json = await runCli(['status', '--control-plane', cp.httpUrl, '-o', 'json']);
    expect(json.status).toBe(9);
    const report = JSON.parse(json.stdout) as { extensions: { name: string; manifestError?: string }[] };
    expect(report.extensions.find((e) => e.name === 'authz')?.manifestError).toMatch(/spec\.phase/);
    const text = await runCli(['status', '--control-plane', cp.httpUrl]);
    expect(text.stdout).toMatch(/invalid manifest, serving its last valid version: .*spec\.phase/);
  });

  it('an emptied file counts as half-written, not as a removal', async () => {
    writeFileSync(file(), '');
    await eventually(() => /file is empty/.test(authzStatus()?.manifestError ?? ''), 'the empty-file error');
    expect(await tagUpstreamSees()).toBe('{"tag":"v1"}');
  });

  it('a fixed file takes effect and clears the error', async () => {
    writeFileSync(file(), manifest('v2'));
    await eventually(async () => (await tagUpstreamSees()) === '{"tag":"v2"}', 'the fixed version');
    expect(authzStatus()?.manifestError).toBeUndefined();
    expect(cp.status().sourceErrors).toEqual([]);
  });

  it('only deleting the file removes the filter', async () => {
    unlinkSync(file());
    await eventually(() => proxy.chain().filters.length === 0, 'the filter removed');
    expect(await tagUpstreamSees()).toBeUndefined();
  });
});

describe('Kubernetes source: an object updated into an invalid one keeps its last valid version', () => {
  const api = new FakeApiServer();
  const mod = wasmModule('k8s authz');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let cp: ControlPlane;
  const cacheDir = tempDir('bad-manifest-k8s-cache');
  const authz = (phase: string, generation: number) => ({
    ...wasmPlugin('authz', { url: `${modules.url}/m.wasm`, sha256: sha256(mod), phase }),
    metadata: { name: 'authz', namespace: 'default', generation },
  });

  beforeAll(async () => {
    await api.start();
    modules = await startModuleServer({ '/m.wasm': mod });
    api.put('ADDED', authz('AUTHZ', 1));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'test' }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
      currentContext: 'c',
    });
    cp = await startControlPlane({
      sources: [new KubernetesSource(kc, { restartDelayMs: 100 })],
      resolver: new Resolver([new HttpModuleSource()], { dir: cacheDir }),
    });
    await eventually(() => cp.status().extensions.find((e) => e.name === 'authz')?.state === 'Serving', 'authz');
  });

  afterAll(async () => {
    await cp?.close();
    await api.close();
    await modules?.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('keeps serving it and writes Ready=False, reason Invalid', async () => {
    api.put('MODIFIED', authz('SOMEWHERE', 2));
    const patch = await eventually(
      () => api.statusPatches.find((p) => p.name === 'authz' && p.body.status.conditions[0].reason === 'Invalid'),
      'the Invalid condition',
    );
    expect(patch.body.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False' });
    expect(patch.body.status.conditions[0].message).toMatch(/spec\.phase.*still serving the last valid version/);
    const s = cp.status().extensions.find((e) => e.name === 'authz');
    expect(s).toMatchObject({ state: 'Serving', phase: 'AUTHZ' });
  });

  it('removes it when the object is deleted', async () => {
    api.put('DELETED', authz('SOMEWHERE', 2));
    await eventually(() => cp.status().extensions.length === 0, 'the extension removed');
  });
});
