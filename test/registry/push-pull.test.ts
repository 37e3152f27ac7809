import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectImage, pullModule, pushModule, resolveDigest, sha256Hex, MediaType } from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from './helpers/docker-registry.js';
import { tinyModule } from './helpers/wasm-fixture.js';

let reg: RunningRegistry;
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'meshwasm-push-'));
  process.env.DOCKER_CONFIG = join(home, 'docker');
  reg = await startRegistry();
});
afterAll(async () => {
  await reg?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('push and pull against a real docker-registry (open)', () => {
  it('pushes the two-layer wasm variant Istio loads and pulls the same bytes back', async () => {
    const wasm = tinyModule(undefined, 'a');
    const pushed = await pushModule(wasm, `${reg.host}/filters/authz:v1`, {
      rootIds: ['authz_root'],
      annotations: { 'org.opencontainers.image.source': 'https://example.test/authz' },
    });
    expect(pushed.format).toBe('wasm');
    expect(pushed.moduleSha256).toBe(sha256Hex(wasm));
    expect(`sha256:${pushed.manifestSha256}`).toBe(pushed.manifestDigest);
    expect(pushed.pinned).toBe(`${reg.host}/filters/authz@${pushed.manifestDigest}`);
    expect(pushed.abiVersions).toEqual(['0.2.1']);
    expect(pushed.uploaded).toHaveLength(2);

    // Read the manifest straight off the registry: exactly two layers, config JSON first.
    const res = await fetch(`http://${reg.host}/v2/filters/authz/manifests/v1`, {
      headers: { accept: MediaType.ociManifest },
    });
    expect(res.headers.get('docker-content-digest')).toBe(pushed.manifestDigest);
    const manifest = (await res.json()) as {
      config: { mediaType: string };
      layers: { mediaType: string; size: number }[];
      annotations: Record<string, string>;
    };
    expect(manifest.config.mediaType).toBe(MediaType.wasmConfig);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([MediaType.wasmConfig, MediaType.wasmContentLayer]);
    expect(manifest.layers[1]!.size).toBe(wasm.byteLength);
    expect(manifest.annotations['org.opencontainers.image.source']).toBe('https://example.test/authz');

    const pulled = await pullModule(`${reg.host}/filters/authz:v1`);
    expect(Buffer.from(pulled.module).equals(Buffer.from(wasm))).toBe(true);
    expect(pulled.format).toBe('wasm');
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(pulled.rootIds).toEqual(['authz_root']);
    expect(pulled.abiVersions).toEqual(['0.2.1']);

    // A caller holding a WasmPlugin sha256 gets it checked before any layer is fetched.
    expect(
      (await pullModule(`${reg.host}/filters/authz:v1`, { expectedManifestDigest: pushed.manifestSha256 }))
        .moduleSha256,
    ).toBe(pushed.moduleSha256);
    await expect(
      pullModule(`${reg.host}/filters/authz:v1`, { expectedManifestDigest: pushed.moduleSha256 }),
    ).rejects.toMatchObject({ kind: 'integrity', message: expect.stringContaining('not the module') });

    const byDigest = await pullModule(pushed.pinned);
    expect(byDigest.moduleSha256).toBe(pushed.moduleSha256);
    expect(await resolveDigest(`${reg.host}/filters/authz:v1`)).toBe(pushed.manifestDigest);
  });

  it('re-pushing an unchanged module uploads no blob and yields the same digest', async () => {
    const wasm = tinyModule(undefined, 'b');
    const first = await pushModule(wasm, `${reg.host}/filters/same:v1`);
    const second = await pushModule(wasm, `${reg.host}/filters/same:v1`);
    expect(first.uploaded).toHaveLength(2);
    expect(second.uploaded).toEqual([]);
    expect(second.skipped).toEqual(first.uploaded);
    expect(second.manifestDigest).toBe(first.manifestDigest);
    const compat1 = await pushModule(wasm, `${reg.host}/filters/same:compat`, { format: 'compat' });
    const compat2 = await pushModule(wasm, `${reg.host}/filters/same:compat`, { format: 'compat' });
    expect(compat2.uploaded).toEqual([]);
    expect(compat2.manifestDigest).toBe(compat1.manifestDigest);
  });

  it('pushes the compat variant (plugin.wasm in a tar+gzip layer) and pulls it back', async () => {
    const wasm = tinyModule(['proxy_abi_version_0_2_1', 'proxy_on_context_create'], 'c');
    const pushed = await pushModule(wasm, `${reg.host}/filters/compat:v2`, { format: 'compat', rootIds: ['r1', 'r2'] });
    expect(pushed.format).toBe('compat');
    const info = await inspectImage(`${reg.host}/filters/compat:v2`);
    expect(info.format).toBe('compat');
    expect(info.layers.map((l) => l.mediaType)).toEqual([MediaType.ociLayerTarGzip]);
    expect(info.config.mediaType).toBe(MediaType.ociConfig);
    expect(info.annotations['module.wasm.image/variant']).toBe('compat');
    expect(info.rootIds).toEqual(['r1', 'r2']);
    expect(info.moduleSha256).toBe(sha256Hex(wasm));
    const pulled = await pullModule(pushed.pinned);
    expect(Buffer.from(pulled.module).equals(Buffer.from(wasm))).toBe(true);
  });

  it('inspect reports format, media types, sizes, ABI versions and root ids of the wasm variant', async () => {
    const wasm = tinyModule(['proxy_abi_version_0_2_1', 'proxy_abi_version_0_1_0'], 'd');
    const pushed = await pushModule(wasm, `${reg.host}/filters/inspect:v1`, { rootIds: ['x'] });
    const info = await inspectImage(`${reg.host}/filters/inspect:v1`);
    expect(info).toMatchObject({
      format: 'wasm',
      manifestDigest: pushed.manifestDigest,
      manifestMediaType: MediaType.ociManifest,
      moduleSize: wasm.byteLength,
      abiVersions: ['0.2.1', '0.1.0'],
      rootIds: ['x'],
    });
    expect(info.layers[1]).toMatchObject({
      mediaType: MediaType.wasmContentLayer,
      size: wasm.byteLength,
      title: 'plugin.wasm',
    });
  });
});
