import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'pass' | 'reset' | { status: number };

/**
 * An HTTP proxy in front of the real registry that can inject faults per request: answer with a
 * status, or drop the connection after reading part of the request body (a reset mid-upload).
 * The Host header is kept, so the registry's upload Locations point back at the proxy.
 */
export async function startFaultProxy(upstream: string, decide: (req: http.IncomingMessage) => Fault) {
  const seen: { method: string; path: string; fault: string }[] = [];
  const server = http.createServer((req, res) => {
    const fault = decide(req);
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      fault: typeof fault === 'string' ? fault : String(fault.status),
    });
    if (fault === 'reset') {
      // Read a little of the body first, then drop the socket: the client sees ECONNRESET/EPIPE mid-upload.
      req.once('data', () => req.socket.destroy());
      req.once('end', () => req.socket.destroy());
      return;
    }
    if (fault !== 'pass') {
      req.resume();
      req.on('end', () =>
        res
          .writeHead(fault.status, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"UNAVAILABLE","message":"injected by test proxy"}]}'),
      );
      return;
    }
    const up = http.request(
      {
        host: upstream.split(':')[0],
        port: Number(upstream.split(':')[1]),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
