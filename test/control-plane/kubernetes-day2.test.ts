// Kubernetes mode on Day 2, against a server that follows the Kubernetes API's semantics for
// what is used here (no real API server on this machine): a WasmPlugin listed and watched, its
// status subresource patched, and a kubernetes.io/dockerconfigjson Secret read. A real proxy
// NACKs a bad update over real gRPC: the condition written back is ServingPrevious. The pull
// secret is looked up in the plugin's namespace through the Kubernetes API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpModuleSource, Resolver, startControlPlane, type ControlPlane } from '../../control-plane/index.js';
import { KubernetesSource } from '../../control-plane/sources/kubernetes.js';
import { KubernetesPullSecrets } from '../../control-plane/sources/kubernetes-pull-secrets.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { withCustomSection } from '../proxy/helpers/wasm-variant.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule, wasmPlugin } from './helpers.js';

class MiniApi {
  server!: Server;
  url = '';
  rv = 10;
  plugin: Record<string, any> | undefined;
  watchers = new Set<ServerResponse>();
  patches: any[] = [];
  secrets = new Map<string, Record<string, any>>();

  async start() {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close() {
    for (const w of this.watchers) w.end();
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
  set(obj: Record<string, any>, type = 'MODIFIED') {
    this.plugin = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv), generation: this.rv } };
    for (const w of this.watchers) w.write(JSON.stringify({ type, object: this.plugin }) + '\n');
  }
  private json(res: ServerResponse, code: number, body: unknown) {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
  private handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url!, this.url);
    const secret = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(u.pathname);
    if (secret && req.method === 'GET') {
      const s = this.secrets.get(`${secret[1]}/${secret[2]}`);
      if (!s)
        return this.json(res, 404, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: 404,
          reason: 'NotFound',
        });
      return this.json(res, 200, s);
    }
    const m =
      /^\/apis\/extensions\.istio\.io\/v1alpha1\/(?:namespaces\/[^/]+\/)?(wasmplugins|trafficextensions)(?:\/([^/]+)\/status)?$/.exec(
        u.pathname,
      );
    if (!m) return this.json(res, 404, { kind: 'Status', code: 404 });
    const kind = m[1] === 'wasmplugins' ? 'WasmPlugin' : 'TrafficExtension';
    if (req.method === 'PATCH' && m[2]) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.patches.push(JSON.parse(body));
        this.json(res, 200, this.plugin);
      });
      return;
    }
    if (u.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      if (kind === 'WasmPlugin') this.watchers.add(res);
      req.on('close', () => this.watchers.delete(res));
      return;
    }
    const items = kind === 'WasmPlugin' && this.plugin ? [this.plugin] : [];
    this.json(res, 200, {
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: `${kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      items,
    });
  }
}

describe('Kubernetes mode, Day 2 (Kubernetes API semantics, no real API server here)', () => {
  const api = new MiniApi();
  const v1 = watModule('tagger');
  const v2 = withCustomSection(v1, 'v2');
  const bad = wasmModule('not a filter');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stop: () => void;
  let kc: KubeConfig;
  const plugin = (file: string) =>
    wasmPlugin('tagger', {
      url: `${modules.url}/${file}`,
      sha256: sha256(modules.files[`/${file}`]!),
      pluginName: 'tagger_root',
    });

  beforeAll(async () => {
    await api.start();
    modules = await startModuleServer({ '/v1.wasm': v1, '/v2.wasm': v2, '/bad.wasm': bad });
    up = await startUpstream();
    api.set(plugin('v1.wasm'), 'ADDED');
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'test' }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'u' }],
      currentContext: 'c',
    });
    cp = await startControlPlane({
      sources: [new KubernetesSource(kc, { restartDelayMs: 100 })],
      resolver: new Resolver([new HttpModuleSource()], { dir: tempDir('k8s-day2-cache') }),
    });
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stop = await followXds(proxy, { address: cp.xdsAddress, nodeId: 'web-1', namespace: 'default' });
  }, 60_000);
  afterAll(async () => {
    stop?.();
    await proxy?.close();
    await cp?.close();
    await api.close();
    await up?.close();
    await modules?.close();
  });

  it('writes the condition back after each transition: Serving, then ServingPrevious after the proxy NACKs', async () => {
    await eventually(() => cp.status().extensions[0]?.proxies[0]?.runningDigest === sha256(v1), 'v1 ACKed');
    api.set(plugin('v2.wasm'));
    await eventually(() => cp.status().extensions[0]?.proxies[0]?.runningDigest === sha256(v2), 'v2 ACKed');
    const serving = await eventually(
      () =>
        api.patches.find(
          (p) =>
            p.status.conditions[0].reason === 'Serving' &&
            p.status.conditions[0].message.includes(sha256(v2).slice(0, 12)),
        ),
      'a Serving condition for v2',
    );
    expect(serving.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });

    api.set(plugin('bad.wasm'));
    const previous = await eventually(
      () => api.patches.find((p) => p.status.conditions[0].reason === 'ServingPrevious'),
      'the ServingPrevious condition after the NACK',
    );
    expect(previous.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False' });
    expect(previous.status.conditions[0].message).toContain(`proxy web-1 rejected sha256:${sha256(bad).slice(0, 12)}`);
    expect(previous.status.conditions[0].message).toContain(`keeps running sha256:${sha256(v2).slice(0, 12)}`);
    expect(proxy.chain().filters[0]!.sha256).toBe(sha256(v2));
  });

  it('reads an imagePullSecret from the plugin namespace through the API, and refuses a Secret of another type', async () => {
    const auths = JSON.stringify({
      auths: { 'registry.example:5000': { auth: Buffer.from('bob:pw').toString('base64') } },
    });
    api.secrets.set('shop/regcred', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: 'regcred', namespace: 'shop' },
      data: { '.dockerconfigjson': Buffer.from(auths).toString('base64') },
    });
    api.secrets.set('shop/opaque', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'opaque', namespace: 'shop' },
      data: {},
    });
    const store = new KubernetesPullSecrets(kc);
    expect(await store.get('shop', 'regcred')).toBe(auths);
    expect(await store.get('default', 'regcred')).toBeUndefined();
    await expect(store.get('shop', 'opaque')).rejects.toThrow('must be of type kubernetes.io/dockerconfigjson');
  });
});
