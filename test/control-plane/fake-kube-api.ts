// Shared by the Kubernetes-mode suites (no real API server here; see the class comment).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP server that follows the Kubernetes API's list/watch semantics for the two
 * extension kinds: lists carry metadata.resourceVersion; `?watch=true&resourceVersion=N` streams
 * ADDED/MODIFIED/DELETED JSON lines after N; a too-old N answers an ERROR event with 410 Gone
 * (the client must relist); PATCH .../status merges into the object's status.
 */
export class FakeApiServer {
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
      // Send the headers now, as the API server does: a watch with no events yet must still
      // count as open, or the client waits for its request timeout before it is "connected".
      res.flushHeaders();
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
