import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { HttpModuleSource, Resolver, startControlPlane, type ControlPlane } from '../../control-plane/index.js';
import { KubernetesSource } from '../../control-plane/sources/kubernetes.js';
import { FakeApiServer } from './fake-kube-api.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule, wasmPlugin } from './helpers.js';

describe('Kubernetes mode against a Kubernetes-API-semantics list/watch server (no real API server here)', () => {
  const api = new FakeApiServer();
  const mod = wasmModule('k8s v1');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let cp: ControlPlane;
  let source: KubernetesSource;
  const cacheDir = tempDir('k8s-cache');

  beforeAll(async () => {
    await api.start();
    modules = await startModuleServer({ '/m.wasm': mod });
    api.put('ADDED', wasmPlugin('listed', { url: `${modules.url}/m.wasm`, sha256: sha256(mod) }));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'test' }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
      currentContext: 'c',
    });
    source = new KubernetesSource(kc, { restartDelayMs: 100 });
    cp = await startControlPlane({
      sources: [source],
      resolver: new Resolver([new HttpModuleSource()], { dir: cacheDir }),
    });
  });

  afterAll(async () => {
    await cp?.close();
    await api.close();
    await modules.close();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('lists existing resources, resolves them, and writes a Ready condition to the status subresource', async () => {
    expect(cp.status().extensions.map((e) => [e.name, e.state])).toEqual([['listed', 'Serving']]);
    const patch = await eventually(() => api.statusPatches.find((p) => p.name === 'listed'), 'a status PATCH');
    expect(patch.contentType).toBe('application/merge-patch+json');
    expect(patch.body.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Serving' });
    expect(api.objects.get('WasmPlugin/default/listed')!.status.conditions[0].status).toBe('True');
  });

  it('follows ADDED, MODIFIED and DELETED watch events', async () => {
    api.put('ADDED', {
      ...wasmPlugin('watched', { url: `${modules.url}/m.wasm`, sha256: sha256(mod), phase: 'STATS' }),
    });
    await eventually(
      () => cp.status().extensions.find((e) => e.name === 'watched' && e.state === 'Serving'),
      'watched to be served',
    );
    api.put('MODIFIED', {
      ...wasmPlugin('watched', { url: `${modules.url}/m.wasm`, sha256: 'b'.repeat(64), phase: 'STATS' }),
      metadata: { name: 'watched', namespace: 'default', generation: 2 },
    });
    const bad = await eventually(
      () => cp.status().extensions.find((e) => e.name === 'watched' && e.error),
      'the bad digest to show',
    );
    expect(bad.state).toBe('ServingPrevious');
    const patch = await eventually(
      // Generation 2's: generation 1 may have written Ready=False (Pending) while its first fetch ran.
      () =>
        api.statusPatches.find(
          (p) =>
            p.name === 'watched' &&
            p.body.status.observedGeneration === 2 &&
            p.body.status.conditions[0].status === 'False',
        ),
      'a False condition for generation 2',
    );
    expect(patch.body.status.conditions[0].message).toContain('b'.repeat(64));
    expect(patch.body.status.observedGeneration).toBe(2);
    api.put('DELETED', api.objects.get('WasmPlugin/default/watched')!);
    await eventually(() => !cp.status().extensions.some((e) => e.name === 'watched'), 'watched to be removed');
  });

  it('relists after 410 Gone and picks up what changed meanwhile', async () => {
    const listsBefore = api.lists;
    // Compact history and drop every open watch: the client reconnects with an expired resourceVersion.
    api.compactedBefore = api.rv + 1000;
    for (const w of api.watchers) w.res.end();
    api.watchers.clear();
    api.put('ADDED', wasmPlugin('after-gone', { url: `${modules.url}/m.wasm`, sha256: sha256(mod) }));
    await eventually(
      () => cp.status().extensions.find((e) => e.name === 'after-gone' && e.state === 'Serving'),
      'after-gone to be served after the relist',
    );
    // Only a relist could have delivered it: no watch was open when it was added, and watching from the old resourceVersion answers 410.
    expect(api.lists).toBeGreaterThan(listsBefore);
    api.compactedBefore = 0;
  });

  it('reports an invalid resource as an error naming the object and the field', async () => {
    api.put('ADDED', wasmPlugin('invalid', { url: `${modules.url}/m.wasm`, phase: 'SOMEWHERE' }));
    const err = await eventually(
      () => cp.status().sourceErrors.find((e) => e.origin === 'kubernetes://WasmPlugin/default/invalid'),
      'the invalid resource to be reported',
    );
    expect(err.field).toBe('spec.phase');
  });
});
