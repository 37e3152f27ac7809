import { ModuleCache, type ModuleCacheOptions } from './cache.js';
import { ResolveError, type ModuleSource } from './module-source.js';
import { digestInUrl, mayUseCache, urlWithoutTag } from './pull-policy.js';
import type { PullPolicy } from '../manifest/extension.js';

export interface ResolveRequest {
  url: string;
  /** The manifest's sha256 ('' when unset). */
  sha256: string;
  pullPolicy: PullPolicy;
  pullSecret?: string;
  /** The extension's namespace, where its pull secret lives. */
  namespace?: string;
}

export interface ResolvedModule {
  url: string;
  /** Manifest digest for oci://, module sha256 otherwise (what `sha256` in a manifest means). */
  checksum: string;
  /** sha256 of the .wasm bytes: what the proxies verify when they download it from us. */
  moduleSha256: string;
  module: Uint8Array;
  /** How it was obtained: from the cache without any network, cache after re-resolving, or fetched. */
  via: 'cache' | 'cache-after-resolve' | 'fetch';
}

export interface ResolverStats {
  cacheHits: number;
  fetches: number;
  refusals: number;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Fetches modules through the sources, verifies checksums, and caches what verified. */
export class Resolver {
  readonly cache: ModuleCache;
  readonly stats: ResolverStats = { cacheHits: 0, fetches: 0, refusals: 0 };

  constructor(
    private readonly sources: ModuleSource[],
    cache: ModuleCacheOptions | ModuleCache,
  ) {
    this.cache = cache instanceof ModuleCache ? cache : new ModuleCache(cache);
  }

  async resolve(req: ResolveRequest): Promise<ResolvedModule> {
    const { url } = req;
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
    const source = this.sources.find((s) => scheme && s.schemes.includes(scheme));
    if (!source) {
      const known = this.sources.flatMap((s) => s.schemes).join(', ');
      throw new ResolveError(`url "${url}" has no supported scheme; use one of: ${known}`, 'invalid-input');
    }
    const name = urlWithoutTag(url);
    const declared = (req.sha256 || digestInUrl(url) || '').toLowerCase();
    const scope = credentialScope(req);

    if (mayUseCache(req.pullPolicy, url, !!declared)) {
      const checksum = declared || this.cache.checksumForTag(url);
      const hit = checksum ? this.cache.get(name, checksum) : undefined;
      // A module another scope fetched is served only after this scope's own credentials have
      // been checked (below, by resolving the digest), never straight from the cache.
      if (hit && this.cache.grants(hit.entry, scope)) {
        this.stats.cacheHits++;
        return {
          url,
          checksum: hit.entry.checksum,
          moduleSha256: hit.entry.moduleSha256,
          module: hit.module,
          via: 'cache',
        };
      }
    }

    let remote: string | undefined;
    if (source.resolve) {
      remote = (await source.resolve(url, { pullSecret: req.pullSecret, namespace: req.namespace })).toLowerCase();
      // Refuse before downloading anything, as Istio's image fetcher does.
      if (declared && remote !== declared) this.refuse(url, remote, declared);
      const hit = this.cache.get(name, remote);
      if (hit) {
        this.stats.cacheHits++;
        // The registry answered this scope's credentials for this digest: it may read it.
        this.cache.allow(hit.entry, scope);
        this.cache.rememberTag(url, remote);
        return {
          url,
          checksum: remote,
          moduleSha256: hit.entry.moduleSha256,
          module: hit.module,
          via: 'cache-after-resolve',
        };
      }
    }

    this.stats.fetches++;
    const fetched = await source.fetch(url, {
      pullSecret: req.pullSecret,
      namespace: req.namespace,
      expectedDigest: remote ?? (declared || undefined),
    });
    const checksum = fetched.digest.toLowerCase();
    if (declared && checksum !== declared) this.refuse(url, checksum, declared);
    const m = fetched.module;
    if (m.length < 8 || WASM_MAGIC.some((b, i) => m[i] !== b)) {
      throw new ResolveError(
        `${url} is not a WebAssembly module (bad magic number); push a .wasm built by "meshwasm build"`,
        'invalid-input',
      );
    }
    const entry = this.cache.put(name, checksum, m, scope);
    this.cache.rememberTag(url, checksum);
    return { url, checksum, moduleSha256: entry.moduleSha256, module: m, via: 'fetch' };
  }

  private refuse(url: string, actual: string, declared: string): never {
    this.stats.refusals++;
    const what = url.toLowerCase().startsWith('oci://') ? 'manifest digest' : 'sha256';
    throw new ResolveError(
      `${url} has ${what} ${actual}, but the manifest's sha256 is ${declared}; nothing was cached. ` +
        `Re-run "meshwasm attach" to pin the current digest, or fix sha256`,
      'integrity',
    );
  }
}

/**
 * Which credentials a request reads the registry with: '' for none (what Envoy/istio-agent use
 * without an imagePullSecret), else the pull secret by namespace and name. Istio's own cache
 * (pkg/wasm/cache.go) keys modules by (name, checksum) only; meshwasm adds this so one
 * namespace's private module cannot be served to another namespace from the cache.
 */
export function credentialScope(req: Pick<ResolveRequest, 'pullSecret' | 'namespace'>): string {
  return req.pullSecret ? `${req.namespace ?? 'default'}/${req.pullSecret}` : '';
}
