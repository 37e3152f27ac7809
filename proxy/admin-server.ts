import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminHandlers {
  stats(): unknown;
  ready(): { ready: boolean; reason?: string };
  /** Prometheus text exposition, for /metrics and Envoy's /stats/prometheus. */
  prometheus?(): Promise<{ contentType: string; body: string }>;
}

/**
 * The admin listener, on its own port as Envoy's: GET /stats (JSON), GET /metrics and
 * /stats/prometheus (Prometheus text), GET /ready (200 once a chain is in place, 503 before).
 * Read-only.
 */
export async function startAdmin(
  host: string,
  port: number,
  h: AdminHandlers,
): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(res, 405, { error: 'the admin endpoint is read-only; use GET' });
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
