import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { HttpModuleSource, Resolver, startControlPlane, type ControlPlane } from '../../control-plane/index.js';
import { KubernetesSource } from '../../control-plane/sources/kubernetes.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule, wasmPlugin } from './helpers.js';

/**
 * A small HTTP server that follows the Kubernetes API's list/watch semantics for the two
 * extension kinds: lists carry metadata.resourceVersion; `?watch=true&resourceVersion=N` streams
 * ADDED/MODIFIED/DELETED JSON lines after N; a too-old N answers an ERROR event with 410 Gone
 * (the client must relist); PATCH .../status merges into the object's status.
 */
class FakeApiServer {
  server!: Server;
  url = '';
  rv = 100;
  /** Events older than this resourceVersion have been "compacted": watching from before it is 410. */
  compactedBefore = 0;
  objects = new Map<string, Record<string, any>>();
  events: { rv: number; type: string; object: Record<string, any> }[] = [];
  watchers = new Set<{ plural: string; res: ServerResponse }>();
  lists = 0;
  statusPatches: { name: string; body: any; contentType: string }[] = [];

  async start() {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close() {
    for (const w of this.watchers) w.res.end();
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }

  put(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Record<string, any>) {
    const rv = ++this.rv;
    const object: Record<string, any> = structuredClone({
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(rv), generation: obj.metadata.generation ?? 1 },
    });
    const key = `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`;
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, object);
    this.events.push({ rv, type, object });
    const plural = object.kind === 'WasmPlugin' ? 'wasmplugins' : 'trafficextensions';
    for (const w of this.watchers) if (w.plural === plural) w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url!, this.url);
    const m =
      /^\/apis\/extensions\.istio\.io\/v1alpha1\/(?:namespaces\/([^/]+)\/)?(wasmplugins|trafficextensions)(?:\/([^/]+)(\/status)?)?$/.exec(
        u.pathname,
      );
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, ns, plural, name, status] = m;
    const kind = plural === 'wasmplugins' ? 'WasmPlugin' : 'TrafficExtension';
    if (req.method === 'GET' && !name && u.searchParams.get('watch') === 'true') {
      const from = Number(u.searchParams.get('resourceVersion') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (from < this.compactedBefore) {
        res.end(
          JSON.stringify({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              code: 410,
              reason: 'Expired',
              message: `too old resource version: ${from}`,
            },
          }) + '\n',
        );
        return;
      }
      for (const e of this.events)
        if (e.rv > from && e.object.kind === kind) res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
      const w = { plural: plural!, res };
      this.watchers.add(w);
      req.on('close', () => this.watchers.delete(w));
      return;
    }
    if (req.method === 'GET' && !name) {
      this.lists++;
      const items = [...this.objects.values()].filter((o) => o.kind === kind);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          apiVersion: 'extensions.istio.io/v1alpha1',
          kind: `${kind}List`,
          metadata: { resourceVersion: String(this.rv) },
          items,
        }),
      );
      return;
    }
    if (req.method === 'PATCH' && name && status) {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const key = `${kind}/${ns}/${name}`;
        const obj = this.objects.get(key);
        if (!obj) {
          res.writeHead(404).end(JSON.stringify({ kind: 'Status', code: 404 }));
          return;
        }
        const patch = JSON.parse(body);
        this.statusPatches.push({ name: name!, body: patch, contentType: String(req.headers['content-type']) });
        // Status writes do not bump generation; they do bump resourceVersion (and emit MODIFIED).
        obj.status = { ...(obj.status ?? {}), ...patch.status };
        this.put('MODIFIED', obj);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
      });
      return;
    }
    res.writeHead(405).end();
  }
}

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
      () => api.statusPatches.find((p) => p.name === 'watched' && p.body.status.conditions[0].status === 'False'),
      'a False condition',
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
