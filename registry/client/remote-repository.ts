import type { Descriptor } from '../content/descriptor.js';
import { isManifestMediaType, type Target } from '../content/target.js';
import { RegistryError } from '../errors.js';
import { verifyDigest } from '../digest.js';
import { blobExists, fetchBlob, uploadBlob, type UploadOptions } from './blobs.js';
import { getManifest, maxManifestBytes, putManifest, resolveManifest } from './manifests.js';
import { listReferrers } from './referrers.js';
import type { RepositoryClient } from './repository-client.js';
import { listTags } from './tags.js';

/** A repository on a registry, as a Target. */
export class RemoteRepository implements Target {
  constructor(
    readonly client: RepositoryClient,
    /** Largest blob fetched. Default 256 MiB. */
    private readonly maxBlobBytes = 256 << 20,
    private readonly upload: UploadOptions = {},
  ) {}

  get name(): string {
    return this.client.name;
  }

  async exists(desc: Descriptor): Promise<boolean> {
    if (isManifestMediaType(desc.mediaType)) {
      try {
        await resolveManifest(this.client, desc.digest, this.maxBlobBytes);
        return true;
      } catch (err) {
        if (err instanceof RegistryError && err.kind === 'not-found') return false;
        throw err;
      }
    }
    return blobExists(this.client, desc);
  }

  async fetch(desc: Descriptor): Promise<Uint8Array> {
    if (isManifestMediaType(desc.mediaType)) {
      const m = await getManifest(this.client, desc.digest, this.maxBlobBytes);
      return m.bytes;
    }
    return fetchBlob(this.client, desc, this.maxBlobBytes);
  }

  /** The manifest a tag or digest names, with its bytes (one round trip instead of resolve + fetch). */
  fetchManifest(reference: string) {
    return getManifest(this.client, reference, this.maxBlobBytes);
  }

  async push(desc: Descriptor, content: Uint8Array): Promise<void> {
    verifyDigest(content, desc.digest, `push to ${this.name}`);
    if (isManifestMediaType(desc.mediaType)) {
      if (content.byteLength > maxManifestBytes)
        throw new RegistryError(
          'invalid-input',
          `push: manifest of ${content.byteLength} bytes is over the 4 MiB registries accept`,
        );
      return putManifest(this.client, desc, content, desc.digest);
    }
    return uploadBlob(this.client, desc, content, this.upload);
  }

  async pushTagged(desc: Descriptor, manifest: Uint8Array, tag: string): Promise<void> {
    verifyDigest(manifest, desc.digest, `push to ${this.name}`);
    return putManifest(this.client, desc, manifest, tag);
  }

  resolve(reference: string): Promise<Descriptor> {
    return resolveManifest(this.client, reference, this.maxBlobBytes);
  }

  tags(): Promise<string[]> {
    return listTags(this.client);
  }

  referrers(digest: string): Promise<Descriptor[] | undefined> {
    return listReferrers(this.client, digest);
  }
}
