import { createHash } from 'node:crypto';

const digestOf = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface RawBlob {
  mediaType: string;
  bytes: Uint8Array;
}

/**
 * Pushes an image by hand through the OCI distribution API (monolithic blob uploads, then the
 * manifest), with whatever layout the test needs, including ones meshwasm push never writes:
 * this is how a broken image reaches a registry in real life (oras push, crane append, ...).
 */
export async function pushRaw(
  host: string,
  repo: string,
  tag: string,
  image: { manifestMediaType?: string; config: RawBlob; layers: RawBlob[] },
): Promise<string> {
  for (const b of [image.config, ...image.layers]) {
    const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    if (start.status !== 202) throw new Error(`blob upload start answered ${start.status}`);
    const loc = new URL(start.headers.get('location')!, `http://${host}`);
    loc.searchParams.set('digest', digestOf(b.bytes));
    const put = await fetch(loc, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from(b.bytes),
    });
    if (put.status !== 201) throw new Error(`blob upload answered ${put.status}: ${await put.text()}`);
  }
  const mediaType = image.manifestMediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: image.config.mediaType,
        digest: digestOf(image.config.bytes),
        size: image.config.bytes.length,
      },
      layers: image.layers.map((l) => ({ mediaType: l.mediaType, digest: digestOf(l.bytes), size: l.bytes.length })),
    }),
  );
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: manifest,
  });
  if (res.status !== 201) throw new Error(`manifest put answered ${res.status}: ${await res.text()}`);
  return digestOf(manifest);
}
