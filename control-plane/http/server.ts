import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The control plane's HTTP side: proxies download modules from /modules/<sha256>.wasm (the
 * sha256 is also in the ECDS resource, so they verify what they got, as with Envoy Gateway),
 * /status answers the status report as JSON, and /metrics the Prometheus metrics.
 */
export interface HttpHandlers {
  module(sha256: string): Uint8Array | undefined;
  status(): unknown;
  /** Prometheus text exposition for GET /metrics. */
  metrics?(): Promise<{ contentType: string; body: string }>;
}

export async function startHttpServer(
  listen: string,
  handlers: HttpHandlers,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/modules\/([a-f0-9]{64})\.wasm$/.exec(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (m) {
      const body = handlers.module(m[1]!);
      if (!body) res.writeHead(404, { 'content-type': 'text/plain' }).end(`no module with sha256 ${m[1]} is served\n`);
      else
        res
          .writeHead(200, { 'content-type': 'application/wasm', 'content-length': body.length, etag: `"${m[1]}"` })
          .end(req.method === 'HEAD' ? undefined : body);
    } else if (path === '/status' || path === '/status/') {
      const body = JSON.stringify(handlers.status(), null, 2);
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else if (path === '/metrics' && handlers.metrics) {
      handlers.metrics().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${err.message}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /status, /metrics or /modules/<sha256>.wasm\n');
    }
  });
  const { host, port } = splitHostPort(listen, 'http-listen');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`http: cannot listen on ${listen}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return { server, url: `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}` };
}

export function splitHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  if (!m)
    throw Object.assign(new Error(`--${flag} "${value}" is not host:port (e.g. 127.0.0.1:0)`), {
      kind: 'invalid-input',
    });
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
