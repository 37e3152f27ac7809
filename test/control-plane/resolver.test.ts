import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { HttpModuleSource, ModuleCache, Resolver } from '../../control-plane/index.js';
import { sha256, startModuleServer, tempDir, wasmModule } from './helpers.js';

/** The resolver against a real HTTP server on 127.0.0.1 and a real on-disk cache. */
describe('resolver: verify, cache, pull policies', () => {
  const a = wasmModule('module a');
  const b = wasmModule('module b');
  let server: Awaited<ReturnType<typeof startModuleServer>>;
  const dirs: string[] = [];
  const cacheDir = () => {
    const d = tempDir('resolver');
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    server = await startModuleServer({
      '/a.wasm': a,
      '/b.wasm': b,
      '/not-wasm.wasm': new Uint8Array(Buffer.from('<html>oops</html>')),
    });
  });
  afterAll(async () => {
    await server.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a module whose sha256 does not match, and caches nothing', async () => {
    const dir = cacheDir();
    const r = new Resolver([new HttpModuleSource()], { dir });
    await expect(
      r.resolve({ url: `${server.url}/a.wasm`, sha256: sha256(b), pullPolicy: 'Default' }),
    ).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringContaining(`has sha256 ${sha256(a)}, but the manifest's sha256 is ${sha256(b)}`),
    });
    expect(r.cache.list()).toEqual([]);
    expect(readdirSync(dir).filter((f) => f !== 'index.json')).toEqual([]);
  });

  it('refuses content that is not WebAssembly', async () => {
    const r = new Resolver([new HttpModuleSource()], { dir: cacheDir() });
    await expect(
      r.resolve({ url: `${server.url}/not-wasm.wasm`, sha256: '', pullPolicy: 'Default' }),
    ).rejects.toMatchObject({ kind: 'invalid-input' });
  });

  it('answers a pinned module from the cache without any network, even after a restart', async () => {
    const dir = cacheDir();
    const url = `${server.url}/a.wasm`;
    const first = await new Resolver([new HttpModuleSource()], { dir }).resolve({
      url,
      sha256: sha256(a),
      pullPolicy: 'IfNotPresent',
    });
    expect(first.via).toBe('fetch');
    const hitsBefore = server.hits.get('/a.wasm');
    const restarted = new Resolver([new HttpModuleSource()], { dir });
    const second = await restarted.resolve({ url, sha256: sha256(a), pullPolicy: 'IfNotPresent' });
    expect(second.via).toBe('cache');
    expect(Buffer.from(second.module).equals(Buffer.from(a))).toBe(true);
    expect(server.hits.get('/a.wasm')).toBe(hitsBefore);
  });

  it('remembers which credential scopes may read a cached module, across a restart', () => {
    const dir = cacheDir();
    const c1 = new ModuleCache({ dir });
    const entry = c1.put('oci://r/private', 'd1', a, 'shop/regcred');
    expect(c1.grants(entry, 'shop/regcred')).toBe(true);
    expect(c1.grants(entry, '')).toBe(false);
    expect(c1.grants(entry, 'guest/regcred')).toBe(false);
    c1.allow(entry, 'billing/regcred');
    const again = new ModuleCache({ dir }).get('oci://r/private', 'd1')!.entry;
    expect(again.scopes).toEqual(['shop/regcred', 'billing/regcred']);
    // Fetched without credentials: public, so every scope may read it.
    const pub = c1.put('oci://r/public', 'd2', b);
    expect(c1.grants(pub, 'guest/anything')).toBe(true);
  });

  it('refetches with pull policy Always', async () => {
    const r = new Resolver([new HttpModuleSource()], { dir: cacheDir() });
    const url = `${server.url}/b.wasm`;
    await r.resolve({ url, sha256: sha256(b), pullPolicy: 'Always' });
    const hits = server.hits.get('/b.wasm')!;
    const again = await r.resolve({ url, sha256: sha256(b), pullPolicy: 'Always' });
    expect(again.via).toBe('fetch');
    expect(server.hits.get('/b.wasm')).toBe(hits + 1);
  });

  it('evicts the least recently used module when the size bound is exceeded', async () => {
    const dir = cacheDir();
    let clock = 1000;
    const cache = new ModuleCache({ dir, maxBytes: a.length + b.length - 1, now: () => clock });
    const r = new Resolver([new HttpModuleSource()], cache);
    const ea = await r.resolve({ url: `${server.url}/a.wasm`, sha256: sha256(a), pullPolicy: 'Default' });
    clock += 10;
    await r.resolve({ url: `${server.url}/b.wasm`, sha256: sha256(b), pullPolicy: 'Default' });
    expect(cache.list().map((e) => e.checksum)).toEqual([sha256(b)]);
    expect(cache.totalBytes()).toBeLessThanOrEqual(cache.maxBytes);
    expect(existsSync(cache.list()[0]!.file)).toBe(true);
    expect(ea.checksum).toBe(sha256(a));
    expect(readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(`${sha256(a)}.wasm`))).toEqual([]);
  });

  it('purges entries unused for longer than the expiry', async () => {
    let clock = 0;
    const cache = new ModuleCache({ dir: cacheDir(), expiryMs: 1000, now: () => clock });
    cache.put('http://x/a.wasm', sha256(a), a);
    clock = 500;
    cache.put('http://x/b.wasm', sha256(b), b);
    clock = 1200;
    expect(cache.purge().map((e) => e.checksum)).toEqual([sha256(a)]);
    expect(cache.list().map((e) => e.checksum)).toEqual([sha256(b)]);
  });

  it('names an unsupported scheme and the supported ones', async () => {
    const r = new Resolver([new HttpModuleSource()], { dir: cacheDir() });
    await expect(r.resolve({ url: 'ftp://x/a.wasm', sha256: '', pullPolicy: 'Default' })).rejects.toThrow(
      'use one of: http, https',
    );
  });
});
