/**
 * Where modules come from. The resolver depends only on this interface, so an OCI registry
 * (through registry/), plain HTTP and local files are interchangeable.
 */
export interface FetchOptions {
  /** Name of a pull secret (Kubernetes mode) or docker-config credentials entry; optional. */
  pullSecret?: string;
  /** Namespace of the extension: where its pull secret is looked up. */
  namespace?: string;
  /** The checksum the caller expects; a source may refuse before downloading on mismatch. */
  expectedDigest?: string;
  signal?: AbortSignal;
}

export interface FetchedModule {
  /** The .wasm bytes. */
  module: Uint8Array;
  /**
   * The checksum a manifest's sha256 field is compared with: the manifest digest (hex, no
   * "sha256:") for oci://, the sha256 of the .wasm for http(s):// and file://.
   */
  digest: string;
}

export interface ModuleSource {
  /** URL schemes this source serves, e.g. ['oci']. */
  readonly schemes: readonly string[];
  /**
   * The checksum the URL names right now, found cheaply (an OCI manifest request), so a cached
   * module can be reused without downloading it. Sources that must download to know omit it.
   */
  resolve?(url: string, opts: FetchOptions): Promise<string>;
  fetch(url: string, opts: FetchOptions): Promise<FetchedModule>;
}

export type ResolveErrorKind = 'integrity' | 'not-found' | 'remote' | 'invalid-input' | 'auth';

export class ResolveError extends Error {
  constructor(
    message: string,
    readonly kind: ResolveErrorKind,
  ) {
    super(message);
    this.name = 'ResolveError';
  }
}
