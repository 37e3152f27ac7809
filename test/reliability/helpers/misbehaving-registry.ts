// Real HTTP servers on loopback that answer the distribution API the way a broken or hostile
// registry might: bodies far larger than their descriptors, redirects, foreign token realms.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  host: string;
  seen: { method: string; url: string; authorization?: string }[];
  close(): Promise<void>;
}

export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  address = '127.0.0.1',
): Promise<TestServer> {
  const seen: TestServer['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  return {
    host: `${address}:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Streams `total` bytes without a Content-Length (chunked), as a registry lying about a size would. */
export function streamBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 << 10, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('error', () => undefined);
  pump();
}

/** An OCI image manifest (compat layout) naming one layer of `layerSize` bytes, padded to `pad` bytes. */
export function manifestJson(layerSize: number, pad = 0): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2 },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'a'.repeat(64)}`, size: layerSize },
    ],
    annotations: { padding: 'x'.repeat(pad) },
  });
}
