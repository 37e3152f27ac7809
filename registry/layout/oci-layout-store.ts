import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor } from '../content/descriptor.js';
import type { Target } from '../content/target.js';
import { RegistryError } from '../errors.js';
import { digestPattern, verifyDigest } from '../digest.js';
import { Annotation, MediaType } from '../media-types.js';
import { mediaTypeOf } from '../client/manifests.js';

interface IndexFile {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * An OCI image layout on disk (image-spec `image-layout.md`): `oci-layout`, `index.json`, and
 * `blobs/sha256/<hex>`. Tags are `org.opencontainers.image.ref.name` annotations in index.json,
 * which is how skopeo (`oci:DIR:TAG`) and oras (`--oci-layout DIR:TAG`) read them.
 */
export class OciLayoutStore implements Target {
  constructor(
    readonly path: string,
    /** Largest blob read. Default 256 MiB. */
    private readonly maxBlobBytes = 256 << 20,
  ) {}

  get name(): string {
    return `oci:${this.path}`;
  }

  private blobPath(digest: string): string {
    if (!digestPattern.test(digest))
      throw new RegistryError('invalid-input', `${this.name}: "${digest}" is not a sha256 digest`);
    return join(this.path, 'blobs', 'sha256', digest.slice(7));
  }

  async exists(desc: Descriptor): Promise<boolean> {
    try {
      return (await stat(this.blobPath(desc.digest))).isFile();
    } catch {
      return false;
    }
  }

  async fetch(desc: Descriptor): Promise<Uint8Array> {
    const p = this.blobPath(desc.digest);
    let size: number;
    try {
      size = (await stat(p)).size;
    } catch {
      throw new RegistryError(
        'not-found',
        `${this.name} has no blob ${desc.digest}; the layout is incomplete, push the image again`,
      );
    }
    if (size > this.maxBlobBytes)
      throw new RegistryError(
        'invalid-input',
        `${this.name}: blob ${desc.digest} is ${size} bytes, over the limit of ${this.maxBlobBytes}; refused`,
      );
    const bytes = new Uint8Array(await readFile(p));
    verifyDigest(bytes, desc.digest, `${this.name}: blob ${desc.digest}`);
    return bytes;
  }

  async push(desc: Descriptor, content: Uint8Array): Promise<void> {
    verifyDigest(content, desc.digest, `push to ${this.name}`);
    await this.init();
    if (await this.exists(desc)) return;
    const p = this.blobPath(desc.digest);
    await mkdir(join(this.path, 'blobs', 'sha256'), { recursive: true });
    // Write then rename: a reader never sees a blob whose bytes do not match its name.
    const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, content);
    await rename(tmp, p);
  }

  async pushTagged(desc: Descriptor, manifest: Uint8Array, tag: string): Promise<void> {
    await this.push(desc, manifest);
    const index = await this.readIndex();
    index.manifests = index.manifests.filter((m) => m.annotations?.[Annotation.refName] !== tag);
    index.manifests.push({
      mediaType: desc.mediaType,
      digest: desc.digest,
      size: desc.size,
      annotations: { [Annotation.refName]: tag },
    });
    await this.writeJson('index.json', index);
  }

  async resolve(reference: string): Promise<Descriptor> {
    const index = await this.readIndex(true);
    if (digestPattern.test(reference)) {
      const listed = index.manifests.find((m) => m.digest === reference);
      if (listed) return strip(listed);
      const bytes = await this.fetch({ mediaType: MediaType.ociManifest, digest: reference, size: 0 });
      return { mediaType: mediaTypeOf(bytes), digest: reference, size: bytes.byteLength };
    }
    const found = index.manifests.find((m) => m.annotations?.[Annotation.refName] === reference);
    if (!found) {
      const known = index.manifests.map((m) => m.annotations?.[Annotation.refName]).filter(Boolean);
      throw new RegistryError(
        'not-found',
        `${this.name} has no tag "${reference}"${known.length ? ` (it has: ${known.join(', ')})` : ''}; push it first`,
      );
    }
    return strip(found);
  }

  async tags(): Promise<string[]> {
    const index = await this.readIndex(true);
    return index.manifests
      .map((m) => m.annotations?.[Annotation.refName])
      .filter((t): t is string => Boolean(t))
      .sort();
  }

  private async init(): Promise<void> {
    await mkdir(this.path, { recursive: true });
    try {
      await stat(join(this.path, 'oci-layout'));
    } catch {
      await this.writeJson('oci-layout', { imageLayoutVersion: '1.0.0' });
    }
    try {
      await stat(join(this.path, 'index.json'));
    } catch {
      await this.writeJson('index.json', { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
    }
  }

  private async readIndex(mustExist = false): Promise<IndexFile> {
    let text: string;
    try {
      text = await readFile(join(this.path, 'index.json'), 'utf8');
    } catch {
      if (mustExist)
        throw new RegistryError(
          'not-found',
          `no OCI image layout at ${this.path} (index.json missing); push to it first`,
        );
      return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    }
    try {
      const idx = JSON.parse(text) as IndexFile;
      if (!Array.isArray(idx.manifests)) throw new Error('no manifests array');
      return idx;
    } catch (err) {
      throw new RegistryError(
        'invalid-input',
        `${this.path}/index.json is not an OCI image index (${(err as Error).message}); fix or remove the layout`,
      );
    }
  }

  private async writeJson(file: string, value: unknown): Promise<void> {
    const p = join(this.path, file);
    const tmp = `${p}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, p);
  }
}

function strip(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}
