import type { Descriptor } from './descriptor.js';

/**
 * The small interfaces registry/ is built on (after oras-go v2): a remote repository and an
 * OCI image-layout directory both implement Target, so push, pull and copy never care which
 * one they talk to.
 */
export interface Fetcher {
  /** The bytes of a blob or manifest, checked against desc.digest (a mismatch is an 'integrity' error). */
  fetch(desc: Descriptor): Promise<Uint8Array>;
}

export interface Pusher {
  /** Stores bytes that hash to desc.digest. Manifests are told apart from blobs by media type. */
  push(desc: Descriptor, content: Uint8Array): Promise<void>;
  /** True when content with this digest is already stored (used to skip uploads). */
  exists(desc: Descriptor): Promise<boolean>;
}

export interface Resolver {
  /** The manifest descriptor a tag or digest names. */
  resolve(reference: string): Promise<Descriptor>;
}

export interface Tagger {
  /** Stores a manifest and points `tag` at it in one step. */
  pushTagged(desc: Descriptor, manifest: Uint8Array, tag: string): Promise<void>;
}

export interface Target extends Fetcher, Pusher, Resolver, Tagger {
  /** How messages name this target, e.g. `127.0.0.1:5000/filters/authz` or `oci:/tmp/layout`. */
  readonly name: string;
  /** Tags known to this target, sorted. */
  tags(): Promise<string[]>;
}

/** Hooks a copy calls so a CLI can show progress; all optional. */
export interface CopyHooks {
  onUpload?(desc: Descriptor): void;
  onSkip?(desc: Descriptor): void;
  onDone?(desc: Descriptor): void;
}

export function isManifestMediaType(mediaType: string): boolean {
  return /manifest|index|manifest\.list/.test(mediaType) && !mediaType.includes('config');
}
