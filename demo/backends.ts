import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  name: string;
  url: string;
  hits: number;
  close(): Promise<void>;
}

/** A small upstream that says which side answered, so routing is visible in the response. */
export async function startBackend(name: string): Promise<Backend> {
  const b = { name, url: '', hits: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    b.hits++;
    req.resume();
    const body = JSON.stringify({ side: name, path: req.url });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-served-by-side': name,
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  b.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  b.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return b;
}
