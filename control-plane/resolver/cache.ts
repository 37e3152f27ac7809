import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Modules on disk, keyed as Istio keys them: (URL without tag, checksum). An index file keeps
 * sizes, last use and the last checksum seen per tagged URL, so a restarted control plane
 * reuses what it fetched before. Bounded by total bytes: the least recently used entries go
 * first. Stale entries (unused for `expiryMs`) are purged.
 */
export interface CacheEntry {
  name: string;
  checksum: string;
  /** sha256 of the .wasm (equals checksum for http/file urls, differs for oci). */
  moduleSha256: string;
  size: number;
  file: string;
  lastUsed: number;
  /**
   * The credential scopes that have shown the registry lets them read this module: '' (fetched
   * without credentials, so public) or "namespace/pullSecret". A cache hit is served to a request
   * only in one of these scopes, so a private module cached for one namespace is never handed to
   * another namespace whose own credentials were not checked. Absent in indexes written before
   * scopes existed: such entries must be shown again.
   */
  scopes?: string[];
}

interface Index {
  entries: CacheEntry[];
  tagged: Record<string, string>;
}

export interface ModuleCacheOptions {
  dir: string;
  /** Upper bound on the bytes of all cached modules (default 256 MiB). */
  maxBytes?: number;
  /** Entries unused for this long are purged (default 24 h, as Istio's module expiry). */
  expiryMs?: number;
  /** Clock, for purge decisions. */
  now?: () => number;
}

export class ModuleCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly tagged = new Map<string, string>();
  readonly maxBytes: number;
  private readonly expiryMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: ModuleCacheOptions) {
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.expiryMs = opts.expiryMs ?? 24 * 3600 * 1000;
    this.now = opts.now ?? Date.now;
    mkdirSync(opts.dir, { recursive: true });
    this.loadIndex();
  }

  private static key(name: string, checksum: string) {
    return `${name}\n${checksum}`;
  }

  get(name: string, checksum: string): { entry: CacheEntry; module: Uint8Array } | undefined {
    const entry = this.entries.get(ModuleCache.key(name, checksum));
    if (!entry) return undefined;
    let module: Uint8Array;
    try {
      module = new Uint8Array(readFileSync(entry.file));
    } catch {
      // Deleted behind our back: forget it rather than serve nothing.
      this.entries.delete(ModuleCache.key(name, checksum));
      this.saveIndex();
      return undefined;
    }
    const actual = createHash('sha256').update(module).digest('hex');
    if (actual !== entry.moduleSha256) {
      // Corrupted on disk: a cache must never hand out content that does not match its key.
      this.remove(entry);
      return undefined;
    }
    entry.lastUsed = this.now();
    this.saveIndex();
    return { entry, module };
  }

  put(name: string, checksum: string, module: Uint8Array, scope = ''): CacheEntry {
    const moduleSha256 = createHash('sha256').update(module).digest('hex');
    const dir = join(this.opts.dir, createHash('sha256').update(name).digest('hex').slice(0, 32));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${checksum}.wasm`);
    // Write then rename, so a crash never leaves a truncated module under a valid name.
    writeFileSync(file + '.tmp', module);
    renameSync(file + '.tmp', file);
    const previous = this.entries.get(ModuleCache.key(name, checksum))?.scopes ?? [];
    const scopes = previous.includes(scope) ? previous : [...previous, scope];
    const entry: CacheEntry = { name, checksum, moduleSha256, size: module.length, file, lastUsed: this.now(), scopes };
    this.entries.set(ModuleCache.key(name, checksum), entry);
    this.evict(entry);
    this.saveIndex();
    return entry;
  }

  /** Whether a request in `scope` may be served this entry without asking the registry. */
  grants(entry: CacheEntry, scope: string): boolean {
    const scopes = entry.scopes ?? [];
    return scopes.includes('') || scopes.includes(scope);
  }

  /** Records that `scope` was shown to read this entry (a fetch or a digest resolve succeeded). */
  allow(entry: CacheEntry, scope: string): void {
    const scopes = entry.scopes ?? [];
    if (scopes.includes(scope)) return;
    entry.scopes = [...scopes, scope];
    this.saveIndex();
  }

  /** The checksum last seen for a tagged URL (for IfNotPresent without a pinned sha256). */
  checksumForTag(url: string): string | undefined {
    return this.tagged.get(url);
  }
  rememberTag(url: string, checksum: string): void {
    this.tagged.set(url, checksum);
    this.saveIndex();
  }

  list(): CacheEntry[] {
    return [...this.entries.values()];
  }
  totalBytes(): number {
    return this.list().reduce((n, e) => n + e.size, 0);
  }

  /** Removes entries unused for longer than the expiry; returns what was removed. */
  purge(): CacheEntry[] {
    const cutoff = this.now() - this.expiryMs;
    const stale = this.list().filter((e) => e.lastUsed < cutoff);
    for (const e of stale) this.remove(e);
    if (stale.length) this.saveIndex();
    return stale;
  }

  private evict(keep: CacheEntry): void {
    const byAge = this.list()
      .filter((e) => e !== keep)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.totalBytes() > this.maxBytes && byAge.length) this.remove(byAge.shift()!);
  }

  private remove(e: CacheEntry): void {
    this.entries.delete(ModuleCache.key(e.name, e.checksum));
    rmSync(e.file, { force: true });
    for (const [url, sum] of this.tagged) if (sum === e.checksum && url.startsWith(e.name)) this.tagged.delete(url);
  }

  private get indexFile() {
    return join(this.opts.dir, 'index.json');
  }

  private loadIndex(): void {
    let index: Index;
    try {
      index = JSON.parse(readFileSync(this.indexFile, 'utf8')) as Index;
    } catch {
      return; // no index yet, or unreadable: start empty (modules will be fetched again)
    }
    for (const e of index.entries ?? []) {
      try {
        if (statSync(e.file).size === e.size) this.entries.set(ModuleCache.key(e.name, e.checksum), e);
      } catch {
        /* gone */
      }
    }
    for (const [url, sum] of Object.entries(index.tagged ?? {})) this.tagged.set(url, sum);
  }

  private saveIndex(): void {
    const index: Index = { entries: this.list(), tagged: Object.fromEntries(this.tagged) };
    writeFileSync(this.indexFile + '.tmp', JSON.stringify(index, null, 1));
    renameSync(this.indexFile + '.tmp', this.indexFile);
  }
}
