// A real HTTP server on 127.0.0.1 that plays a stalled registry: it answers every request at
// once with headers and then drips one byte every `intervalMs`, never finishing. An idle timeout
// never fires on it; only an overall deadline ends a download from it.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DripServer {
  /** host:port */
  host: string;
  /** Responses still dripping (the client has not given up yet). */
  open: () => number;
  /** Requests received, by path. */
  requests: string[];
  close(): Promise<void>;
}

export async function startDripServer(intervalMs = 200): Promise<DripServer> {
  const live = new Set<ServerResponse>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'HEAD') {
      // No Docker-Content-Digest: the client falls back to GET, which drips.
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '100000' });
    live.add(res);
    const t = setInterval(() => res.write(' '), intervalMs);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
      live.delete(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: () => live.size,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const t of timers) clearInterval(t);
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
