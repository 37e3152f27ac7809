import {
  ResolveError,
  type FetchOptions,
  type FetchedModule,
  type ModuleSource,
  type ResolveErrorKind,
} from './module-source.js';
import { urlWithoutTag } from './pull-policy.js';

/**
 * The part of registry/ the resolver uses. Kept as an interface so the resolver does not
 * depend on how registry/ talks to registries (and so tests can hand in registry/ itself).
 */
export interface RegistryClient {
  resolveDigest(ref: string, opts?: object): Promise<string>;
  pullModule(ref: string, opts?: object): Promise<{ module: Uint8Array; manifestDigest: string; moduleSha256: string }>;
}

const strip = (d: string) => d.replace(/^sha256:/, '').toLowerCase();

/** oci:// modules through registry/: the checksum is the manifest digest, known before download. */
export class OciModuleSource implements ModuleSource {
  readonly schemes = ['oci'] as const;
  constructor(
    private readonly registry: RegistryClient,
    private readonly registryOptions: object = {},
  ) {}

  async resolve(url: string): Promise<string> {
    const ref = url.slice('oci://'.length);
    try {
      return strip(await this.registry.resolveDigest(ref, this.registryOptions));
    } catch (err) {
      throw this.wrap(err, ref);
    }
  }

  async fetch(url: string, opts: FetchOptions): Promise<FetchedModule> {
    // Pull by digest when we know it, so a tag moved in between cannot swap the content.
    const ref = opts.expectedDigest
      ? `${urlWithoutTag(url).slice('oci://'.length)}@sha256:${opts.expectedDigest}`
      : url.slice('oci://'.length);
    try {
      const pulled = await this.registry.pullModule(ref, this.registryOptions);
      return { module: pulled.module, digest: strip(pulled.manifestDigest) };
    } catch (err) {
      throw this.wrap(err, ref);
    }
  }

  private wrap(err: unknown, ref: string): ResolveError {
    const kind = (err as { kind?: ResolveErrorKind }).kind ?? 'remote';
    return new ResolveError(`cannot fetch oci://${ref}: ${(err as Error).message}`, kind);
  }
}
