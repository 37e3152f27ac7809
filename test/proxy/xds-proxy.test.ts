// The proxy fed by the control plane over real gRPC (Envoy's ECDS protos): WasmPlugin manifests
// in a watched directory, modules served over real HTTP, real requests through the proxy.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  FileModuleSource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import {
  eventually,
  sha256,
  startModuleServer,
  tempDir,
  wasmModule,
  wasmPlugin,
  writeManifest,
} from '../control-plane/helpers.js';
import { watModule } from './helpers/modules.js';
import { startUpstream, type TestUpstream } from './helpers/upstream.js';
import { withCustomSection } from './helpers/wasm-variant.js';

describe('meshwasm proxy --xds: filters from the control plane over ECDS', () => {
  const v1 = watModule('tagger');
  const v2 = withCustomSection(v1, 'v2');
  // A valid wasm module that is no proxy-wasm filter: the proxy must refuse it (NACK).
  const notAFilter = wasmModule('not a filter');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stopXds: () => void;
  let dir: string;
  let cacheDir: string;
  const rejections: string[] = [];

  const manifest = (file: string, tag: string, name: string) =>
    wasmPlugin('tagger', {
      url: `${modules.url}/${file}`,
      sha256: sha256(modules.files[`/${file}`]!),
      pluginConfig: { tag },
      pluginName: name,
      selector: { matchLabels: { app: 'web' } },
    });
  const tagSeenUpstream = async () => {
    const n = up.seen.length;
    await fetch(`${proxy.url}/check`);
    return up.seen[n]?.headers['x-filter-version'];
  };

  beforeAll(async () => {
    modules = await startModuleServer({ '/v1.wasm': v1, '/v2.wasm': v2, '/bad.wasm': notAFilter });
    up = await startUpstream();
    dir = tempDir('proxy-xds');
    cacheDir = tempDir('proxy-xds-cache');
    writeManifest(dir, 'tagger.yaml', manifest('v1.wasm', 'one', 'tagger_root'));
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: cacheDir }),
      retryMs: 300,
    });
    proxy = await startProxy({ upstream: up.url, initiallyReady: false, adminPort: 0 });
    stopXds = await followXds(proxy, {
      address: cp.xdsAddress,
      nodeId: 'web-proxy',
      labels: { app: 'web' },
      namespace: 'default',
      onReject: (r) => rejections.push(r.message),
    });
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

  it('is not ready until the first chain arrives, then runs the filter on real requests', async () => {
    await eventually(() => proxy.chain().filters.length === 1, 'the first chain');
    expect((await fetch(`${proxy.adminUrl}/ready`)).status).toBe(200);
    expect(proxy.chain().filters[0]).toMatchObject({
      name: 'default.tagger',
      sha256: sha256(v1),
      rootId: 'tagger_root',
    });
    expect(await tagSeenUpstream()).toBe('{"tag":"one"}');
  });

  it('takes a new version attached to the manifest without a restart', async () => {
    writeManifest(dir, 'tagger.yaml', manifest('v2.wasm', 'two', 'tagger_root'));
    await eventually(() => proxy.chain().filters[0]?.sha256 === sha256(v2), 'version 2 in the chain');
    expect(await tagSeenUpstream()).toBe('{"tag":"two"}');
    const status = await eventually(
      () => cp.status().extensions.find((e) => e.name === 'tagger' && e.proxies[0]?.acked && e.digest === sha256(v2)),
      'the ACK of v2',
    );
    expect(status.proxies[0]!.nodeId).toBe('web-proxy');
  });

  it('NACKs a module it cannot load, keeps serving the previous version, and status shows the error', async () => {
    writeManifest(dir, 'tagger.yaml', manifest('bad.wasm', 'three', 'tagger_root'));
    const nack = await eventually(
      () => cp.status().proxies.find((p) => p.nodeId === 'web-proxy' && p.nack)?.nack,
      'the NACK in status',
    );
    expect(nack.message).toContain('filter "default.tagger"');
    expect(rejections.length).toBeGreaterThan(0);
    expect(proxy.stats.chainRejections).toBeGreaterThan(0);
    expect(proxy.chain().filters[0]!.sha256).toBe(sha256(v2));
    expect(await tagSeenUpstream()).toBe('{"tag":"two"}');
  });

  it("runs Istio's RBAC fallback when a module cannot be fetched: deny-all for FAIL_CLOSE, allow-all for FAIL_OPEN", async () => {
    const missing = (name: string, failStrategy: string, app: string) =>
      wasmPlugin(name, {
        url: `${modules.url}/missing-${name}.wasm`,
        sha256: 'c'.repeat(64),
        failStrategy,
        selector: { matchLabels: { app } },
      });
    writeManifest(dir, 'closed.yaml', missing('closed', 'FAIL_CLOSE', 'closed'));
    writeManifest(dir, 'open.yaml', missing('open', 'FAIL_OPEN', 'open'));
    const closed = await startProxy({ upstream: up.url, initiallyReady: false });
    const open = await startProxy({ upstream: up.url, initiallyReady: false });
    const stops = [
      await followXds(closed, {
        address: cp.xdsAddress,
        nodeId: 'closed-1',
        labels: { app: 'closed' },
        namespace: 'default',
      }),
      await followXds(open, {
        address: cp.xdsAddress,
        nodeId: 'open-1',
        labels: { app: 'open' },
        namespace: 'default',
      }),
    ];
    try {
      await eventually(
        () => closed.chain().filters[0]?.kind === 'rbac' && open.chain().filters[0]?.kind === 'rbac',
        'the fallbacks',
      );
      const denied = await fetch(closed.url);
      expect(denied.status).toBe(403);
      expect(await denied.text()).toBe('RBAC: access denied');
      expect((await fetch(open.url)).status).toBe(200);
    } finally {
      for (const stop of stops) stop();
      await closed.close();
      await open.close();
    }
  });
});
