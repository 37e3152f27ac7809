import {
  ResolveError,
  type FetchOptions,
  type FetchedModule,
  type ModuleSource,
  type ResolveErrorKind,
} from './module-source.js';
import { urlWithoutTag } from './pull-policy.js';
import type { PullSecretStore } from './pull-secrets.js';

/**
 * The part of registry/ the resolver uses. Kept as an interface so the resolver does not
 * depend on how registry/ talks to registries (and so tests can hand in registry/ itself).
 */
export interface RegistryClient {
  resolveDigest(ref: string, opts?: object): Promise<string>;
  pullModule(ref: string, opts?: object): Promise<{ module: Uint8Array; manifestDigest: string; moduleSha256: string }>;
  /** Credentials from a pull secret's docker config JSON (registry/'s credentialsFromDockerConfigJson). */
  credentialsFromDockerConfigJson?(json: string, what?: string): unknown;
}

const strip = (d: string) => d.replace(/^sha256:/, '').toLowerCase();

/** oci:// modules through registry/: the checksum is the manifest digest, known before download. */
export class OciModuleSource implements ModuleSource {
  readonly schemes = ['oci'] as const;
  constructor(
    private readonly registry: RegistryClient,
    private readonly registryOptions: object = {},
    /** Where imagePullSecret names are looked up; without it they are ignored (docker config only). */
    private readonly pullSecrets?: PullSecretStore,
  ) {}

  async resolve(url: string, opts: FetchOptions = {}): Promise<string> {
    const ref = url.slice('oci://'.length);
    const options = await this.optionsFor(opts);
    try {
      return strip(await this.registry.resolveDigest(ref, options));
    } catch (err) {
      throw this.wrap(err, ref, opts);
    }
  }

  /**
   * The registry options for one extension: with an imagePullSecret, its credentials and only
   * those, as istio-agent pulls with the secret istiod sends it. A secret that does not exist is
   * an error naming it and where it was looked up, never silently anonymous.
   */
  private async optionsFor(opts: FetchOptions): Promise<object> {
    if (!opts.pullSecret || !this.pullSecrets || !this.registry.credentialsFromDockerConfigJson)
      return this.registryOptions;
    const ns = opts.namespace ?? 'default';
    let json: string | undefined;
    try {
      json = await this.pullSecrets.get(ns, opts.pullSecret);
    } catch (err) {
      throw new ResolveError(`imagePullSecret "${opts.pullSecret}": ${(err as Error).message}`, 'invalid-input');
    }
    if (json === undefined)
      throw new ResolveError(
        `imagePullSecret "${opts.pullSecret}" was not found in namespace ${ns} (looked in ${this.pullSecrets.where}); ` +
          `create it (kubectl create secret docker-registry ${opts.pullSecret} -n ${ns} ...) or put its docker config JSON at <pull-secrets dir>/${ns}/${opts.pullSecret}.json`,
        'not-found',
      );
    let credentials: unknown;
    try {
      credentials = this.registry.credentialsFromDockerConfigJson(json, `imagePullSecret ${ns}/${opts.pullSecret}`);
    } catch (err) {
      throw new ResolveError(`imagePullSecret ${ns}/${opts.pullSecret}: ${(err as Error).message}`, 'invalid-input');
    }
    return { ...this.registryOptions, credentials };
  }

  async fetch(url: string, opts: FetchOptions): Promise<FetchedModule> {
    // Pull by digest when we know it, so a tag moved in between cannot swap the content.
    const ref = opts.expectedDigest
      ? `${urlWithoutTag(url).slice('oci://'.length)}@sha256:${opts.expectedDigest}`
      : url.slice('oci://'.length);
    const options = await this.optionsFor(opts);
    try {
      const pulled = await this.registry.pullModule(ref, options);
      return { module: pulled.module, digest: strip(pulled.manifestDigest) };
    } catch (err) {
      throw this.wrap(err, ref, opts);
    }
  }

  private wrap(err: unknown, ref: string, opts: FetchOptions): ResolveError {
    const kind = (err as { kind?: ResolveErrorKind }).kind ?? 'remote';
    const secret =
      opts.pullSecret && this.pullSecrets
        ? ` (with imagePullSecret ${opts.namespace ?? 'default'}/${opts.pullSecret})`
        : '';
    return new ResolveError(`cannot fetch oci://${ref}${secret}: ${(err as Error).message}`, kind);
  }
}
