import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Puts the OCI referrers API (distribution-spec 1.1, "Listing Referrers") in front of the real
 * docker-registry, which has none: manifests pushed through it with a `subject` are remembered,
 * and GET /v2/<name>/referrers/<digest> answers the image index the spec describes, with each
 * descriptor's artifactType and annotations. Everything else passes through unchanged, so this
 * behaves like a registry that implements the API (as distribution 3, zot or Harbor do).
 */
export async function startReferrersApiProxy(upstream: string) {
  const referrers = new Map<string, object[]>();
  const server = http.createServer((req, res) => {
    const listing = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
    if (req.method === 'GET' && listing) {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: referrers.get(`${listing[1]}@${listing[2]}`) ?? [],
      });
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const put = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(req.url ?? '');
      const up = http.request(
        {
          host: upstream.split(':')[0],
          port: Number(upstream.split(':')[1]),
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          const headers = { ...upRes.headers };
          if (req.method === 'PUT' && put && upRes.statusCode === 201) {
            const subject = remember(put[1]!, body);
            // A registry with the API says so on the push response (distribution-spec "Pushing Manifests with Subject").
            if (subject) headers['oci-subject'] = subject;
          }
          res.writeHead(upRes.statusCode ?? 502, headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });

  function remember(repository: string, body: Buffer): string | undefined {
    let m: {
      mediaType?: string;
      artifactType?: string;
      subject?: { digest: string };
      annotations?: object;
      config?: { mediaType: string };
    };
    try {
      m = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!m.subject) return undefined;
    const key = `${repository}@${m.subject.digest}`;
    const list = referrers.get(key) ?? [];
    list.push({
      mediaType: m.mediaType,
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
      size: body.byteLength,
      artifactType: m.artifactType ?? m.config?.mediaType,
      ...(m.annotations ? { annotations: m.annotations } : {}),
    });
    referrers.set(key, list);
    return m.subject.digest;
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
