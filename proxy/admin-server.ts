import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_SWAP_BYTES } from './module-swap.js';

export interface AdminHandlers {
  stats(): unknown;
  ready(): { ready: boolean; reason?: string };
  /** Prometheus text exposition, for /metrics and Envoy's /stats/prometheus. */
  prometheus?(): Promise<{ contentType: string; body: string }>;
  /**
   * PUT /filters/NAME/module: swaps a filter's module (module-swap.ts). Only set when the proxy
   * was started with --hot-swap; otherwise the listener stays read-only.
   */
  swap?(name: string, body: Buffer, contentType: string | undefined): { status: number; body: unknown };
}

/**
 * The admin listener, on its own port as Envoy's: GET /stats (JSON), GET /metrics and
 * /stats/prometheus (Prometheus text), GET /ready (200 once a chain is in place, 503 before).
 * Read-only, unless a swap handler is given: then PUT /filters/NAME/module replaces a module.
 */
export async function startAdmin(
  host: string,
  port: number,
  h: AdminHandlers,
): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const swapPath = /^\/filters\/([^/]+)\/module$/.exec(path);
    if (req.method === 'PUT' && swapPath && h.swap) {
      const swap = h.swap;
      return readBody(req, MAX_SWAP_BYTES).then(
        (body) => {
          const r = swap(decodeURIComponent(swapPath[1]!), body, req.headers['content-type']);
          send(res, r.status, r.body);
        },
        (err: Error) => send(res, 413, { error: err.message }),
      );
    }
    if (req.method !== 'GET')
      return send(res, 405, {
        error: h.swap
          ? 'the admin endpoint takes GET, and PUT /filters/NAME/module'
          : 'the admin endpoint is read-only; use GET (start the proxy with --hot-swap for PUT /filters/NAME/module)',
      });
    if (path === '/stats') return send(res, 200, h.stats());
    if ((path === '/metrics' || path === '/stats/prometheus') && h.prometheus) {
      h.prometheus().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (err: Error) => send(res, 500, { error: `metrics: ${err.message}` }),
      );
      return;
    }
    if (path === '/ready') {
      const r = h.ready();
      return send(res, r.ready ? 200 : 503, r);
    }
    send(res, 404, { error: `no admin path ${path}; try /stats, /metrics or /ready` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, url: `http://${a.address}:${a.port}` };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > limit) {
        reject(new Error(`the body is over ${limit} bytes; a filter module is far smaller`));
        req.destroy();
      } else chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
