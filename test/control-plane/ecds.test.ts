import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  DirectorySource,
  FileModuleSource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { connectXds, type XdsClient, type WasmFilter } from '../../proxy/xds-client.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule, wasmPlugin, writeManifest } from './helpers.js';

/**
 * The control plane over real gRPC with Envoy's protos, a real HTTP module server and a watched
 * directory. The client (proxy/xds-client.ts) subscribes, ACKs and NACKs as Envoy does.
 */
describe('control plane ECDS distribution (real gRPC, Envoy protos)', () => {
  const v1 = wasmModule('authz v1');
  const v2 = wasmModule('authz v2');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let dir: string;
  let cacheDir: string;
  let cp: ControlPlane;
  const clients: XdsClient[] = [];

  const connect = async (
    nodeId: string,
    labels: Record<string, string>,
    extra: Partial<Parameters<typeof connectXds>[0]> = {},
  ) => {
    const c = await connectXds({ address: cp.xdsAddress, nodeId, labels, namespace: 'default', ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    modules = await startModuleServer({ '/authz-v1.wasm': v1, '/authz-v2.wasm': v2 });
    dir = tempDir('cp-dir');
    cacheDir = tempDir('cp-cache');
    writeManifest(
      dir,
      'authz.yaml',
      wasmPlugin('authz', {
        url: `${modules.url}/authz-v1.wasm`,
        sha256: sha256(v1),
        phase: 'AUTHZ',
        priority: 10,
        selector: { matchLabels: { app: 'web' } },
        pluginConfig: { allow: ['/public'] },
        pluginName: 'authz_root',
      }),
    );
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: cacheDir }),
      retryMs: 300,
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await cp?.close();
    await modules?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('sends a matching proxy the Wasm filter, whose module it downloads from the control plane and verifies', async () => {
    const client = await connect('web-1', { app: 'web' });
    const update = await client.firstUpdate();
    expect(update.filters).toHaveLength(1);
    const f = update.filters[0] as WasmFilter;
    expect(f.kind).toBe('wasm');
    expect(f.name).toBe('default.authz');
    expect(f.rootId).toBe('authz_root');
    expect(JSON.parse(f.configuration)).toEqual({ allow: ['/public'] });
    expect(f.sha256).toBe(sha256(v1));
    expect(f.uri.startsWith(cp.httpUrl + '/modules/')).toBe(true);
    expect(Buffer.from(f.module).equals(Buffer.from(v1))).toBe(true);

    const status = await eventually(async () => {
      const s = (await (await fetch(`${cp.httpUrl}/status`)).json()) as any;
      return s.extensions[0].proxies[0]?.acked ? s : undefined;
    }, 'status to show the ACK');
    expect(status.extensions[0]).toMatchObject({
      name: 'authz',
      state: 'Serving',
      digest: sha256(v1),
      proxies: [{ nodeId: 'web-1', acked: true, digest: sha256(v1) }],
    });
    expect(status.proxies[0]).toMatchObject({ nodeId: 'web-1', labels: { app: 'web' } });
  });

  it('sends nothing to a proxy the selector does not match', async () => {
    const other = await connect('db-1', { app: 'db' });
    const update = await other.firstUpdate();
    expect(update.filters).toEqual([]);
  });

  it('orders filters by phase, then priority, and pushes a changed manifest to subscribed proxies', async () => {
    const client = await connect('web-2', { app: 'web' });
    await client.firstUpdate();
    writeManifest(
      dir,
      'more.yaml',
      wasmPlugin('stats', { url: `${modules.url}/authz-v2.wasm`, phase: 'STATS' }),
      wasmPlugin('authn-low', { url: `${modules.url}/authz-v2.wasm`, phase: 'AUTHN', priority: 1 }),
      wasmPlugin('authn-high', { url: `${modules.url}/authz-v2.wasm`, phase: 'AUTHN', priority: 100 }),
      wasmPlugin('last', { url: `${modules.url}/authz-v2.wasm` }),
    );
    const update = await client.waitFor((u) => u.filters.length === 5);
    expect(update.filters.map((f) => f.name)).toEqual([
      'default.authn-high',
      'default.authn-low',
      'default.authz',
      'default.stats',
      'default.last',
    ]);
    rmSync(join(dir, 'more.yaml'));
    const after = await client.waitFor((u) => u.filters.length === 1);
    expect(after.filters[0]!.name).toBe('default.authz');
  });

  it('records a NACK with its error in status, and a later ACK clears it', async () => {
    let reject = true;
    const client = await connect(
      'picky-1',
      { app: 'web' },
      {
        onUpdate: () => {
          if (reject) throw new Error('module failed to start: missing export proxy_on_memory_allocate');
        },
      },
    );
    const status = await eventually(async () => {
      const s = (await (await fetch(`${cp.httpUrl}/status`)).json()) as any;
      return s.proxies.find((p: { nodeId: string; nack?: unknown }) => p.nodeId === 'picky-1' && p.nack)
        ? s
        : undefined;
    }, 'status to show the NACK');
    const ext = status.extensions.find((e: { name: string }) => e.name === 'authz');
    expect(ext.proxies.find((p: { nodeId: string }) => p.nodeId === 'picky-1').nack).toContain(
      'missing export proxy_on_memory_allocate',
    );
    expect(client.current).toBeUndefined();

    reject = false;
    writeManifest(
      dir,
      'authz.yaml',
      wasmPlugin('authz', {
        url: `${modules.url}/authz-v2.wasm`,
        sha256: sha256(v2),
        phase: 'AUTHZ',
        priority: 10,
        selector: { matchLabels: { app: 'web' } },
        pluginConfig: { allow: ['/public'] },
        pluginName: 'authz_root',
      }),
    );
    const update = await client.waitFor((u) => (u.filters[0] as WasmFilter | undefined)?.sha256 === sha256(v2));
    expect(Buffer.from((update.filters[0] as WasmFilter).module).equals(Buffer.from(v2))).toBe(true);
    await eventually(() => !cp.status().proxies.find((p) => p.nodeId === 'picky-1')?.nack, 'the NACK to clear');
  });

  it('keeps the previous module serving when an update has a bad digest, and status shows the error', async () => {
    const client = await connect('web-3', { app: 'web' });
    const before = await client.waitFor((u) => (u.filters[0] as WasmFilter | undefined)?.sha256 === sha256(v2));
    writeManifest(
      dir,
      'authz.yaml',
      wasmPlugin('authz', {
        url: `${modules.url}/authz-v1.wasm`,
        sha256: 'a'.repeat(64),
        phase: 'AUTHZ',
        priority: 10,
        selector: { matchLabels: { app: 'web' } },
        pluginName: 'authz_root',
      }),
    );
    const ext = await eventually(
      () => cp.status().extensions.find((e) => e.name === 'authz' && e.state === 'ServingPrevious'),
      'ServingPrevious',
    );
    expect(ext.error).toContain(`has sha256 ${sha256(v1)}, but the manifest's sha256 is ${'a'.repeat(64)}`);
    expect(ext.digest).toBe(sha256(v2));
    expect(client.current!.versionInfo).toBe(before.versionInfo);
  });

  it("sends Istio's RBAC fallback when a module cannot be fetched: allow-all for FAIL_OPEN, deny-all for FAIL_CLOSE", async () => {
    const client = await connect('gw-1', { app: 'gateway' });
    writeManifest(
      dir,
      'broken.yaml',
      wasmPlugin('open', {
        url: `${modules.url}/missing.wasm`,
        failStrategy: 'FAIL_OPEN',
        selector: { matchLabels: { app: 'gateway' } },
      }),
      wasmPlugin('closed', { url: `${modules.url}/missing.wasm`, selector: { matchLabels: { app: 'gateway' } } }),
    );
    const update = await client.waitFor((u) => u.filters.length === 2);
    const byName = Object.fromEntries(update.filters.map((f) => [f.name, f]));
    expect(byName['default.open']).toEqual({ kind: 'rbac', name: 'default.open', action: 'allow-all' });
    expect(byName['default.closed']).toEqual({ kind: 'rbac', name: 'default.closed', action: 'deny-all' });
    const st = cp.status().extensions.find((e) => e.name === 'closed')!;
    expect(st.state).toBe('Fallback');
    expect(st.error).toContain('answered 404');

    // Once the module appears, the retry replaces the fallback with the real filter.
    modules.files['/missing.wasm'] = wasmModule('late');
    const fixed = await client.waitFor((u) => u.filters.every((f) => f.kind === 'wasm'));
    expect(fixed.filters.map((f) => (f as WasmFilter).sha256)).toEqual([
      sha256(wasmModule('late')),
      sha256(wasmModule('late')),
    ]);
    rmSync(join(dir, 'broken.yaml'));
  });

  it('serves only the named resources when a proxy names them, as Envoy does', async () => {
    const client = await connect('named-1', { app: 'web' }, { resourceNames: ['default.authz', 'default.unknown'] });
    const update = await client.firstUpdate();
    expect(update.filters.map((f) => f.name)).toEqual(['default.authz']);
  });
});
