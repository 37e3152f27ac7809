import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { copyImage, MediaType, openTarget, pullModule, pushModule, sha256Digest } from '../../registry/index.js';
import { blob, jsonBytes, packManifest, type PackedImage } from '../../registry/formats/packed-image.js';
import { tarSingleFile } from '../../registry/formats/tar.js';
import { tinyModule } from './helpers/wasm-fixture.js';
import { rejection, useOpenRegistry } from './helpers/suite.js';

const suite = useOpenRegistry('bad');

/** Pushes an arbitrary single image (blobs + manifest) with the library's own copy, to stage hostile content. */
async function stage(
  ref: string,
  layers: { mediaType: string; bytes: Uint8Array }[],
  configMediaType: string = MediaType.ociConfig,
  mediaType: string = MediaType.ociManifest,
) {
  const config = blob(
    configMediaType,
    jsonBytes({ architecture: 'wasm', os: 'wasip1', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const ls = layers.map((l) => blob(l.mediaType, l.bytes));
  const manifest = packManifest({ schemaVersion: 2, mediaType, config: config.desc, layers: ls.map((l) => l.desc) });
  const image: PackedImage = { format: 'compat', blobs: [config, ...ls], manifest, moduleLayer: ls[0]!.desc };
  const { ref: r, target } = openTarget(ref);
  await copyImage(image, target, r.tag);
  return manifest.desc.digest;
}

describe('bad input is refused with a message that names it', () => {
  it('404: a missing tag and a missing repository are named', async () => {
    await pushModule(tinyModule(undefined, '404'), `${suite.reg.host}/bad/exists:v1`);
    const tag = await rejection(pullModule(`${suite.reg.host}/bad/exists:nope`));
    expect(tag.kind).toBe('not-found');
    expect(tag.message).toContain('repository "bad/exists"');
    expect(tag.message).toContain('tag "nope"');
    const repo = await rejection(pullModule(`${suite.reg.host}/bad/never-pushed:v1`));
    expect(repo.kind).toBe('not-found');
    expect(repo.message).toContain('"bad/never-pushed"');
  });

  it('refuses to push bytes that are not a proxy-wasm module', async () => {
    const notWasm = await rejection(
      pushModule(new TextEncoder().encode('#!/bin/sh\necho hi\n'), `${suite.reg.host}/bad/x:v1`),
    );
    expect(notWasm.kind).toBe('invalid-input');
    expect(notWasm.message).toContain('not a WebAssembly module');
    const noAbi = await rejection(pushModule(tinyModule(['main']), `${suite.reg.host}/bad/x:v1`));
    expect(noAbi.message).toContain('proxy_abi_version_');
    const truncated = await rejection(pushModule(tinyModule().subarray(0, 20), `${suite.reg.host}/bad/x:v1`));
    expect(truncated.message).toContain('truncated');
  });

  it('a blob corrupted in the registry storage fails the digest check on pull', async () => {
    const wasm = tinyModule(undefined, 'corrupt-me');
    const pushed = await pushModule(wasm, `${suite.reg.host}/bad/corrupt:v1`);
    const layerHex = sha256Digest(wasm).slice(7);
    // Overwrite the stored bytes behind the registry's back (same length, different content).
    const data = join(suite.reg.dataDir, 'docker/registry/v2/blobs/sha256', layerHex.slice(0, 2), layerHex, 'data');
    const evil = tinyModule(undefined, 'corrupt-mX');
    await writeFile(data, evil);
    const err = await rejection(pullModule(pushed.pinned));
    expect(err.kind).toBe('integrity');
    expect(err.message).toContain(`expected to be sha256:${layerHex}`);
  });

  it('a plain single-layer push (not an Istio layout) is refused as an unknown format, naming its media types', async () => {
    await stage(
      `${suite.reg.host}/bad/plain:v1`,
      [{ mediaType: 'application/wasm', bytes: tinyModule() }],
      'application/vnd.unknown.config.v1+json',
    );
    const err = await rejection(pullModule(`${suite.reg.host}/bad/plain:v1`));
    expect(err.kind).toBe('invalid-input');
    expect(err.message).toContain('unknown wasm image format');
    expect(err.message).toContain('application/wasm');
    expect(err.message).toContain('application/vnd.unknown.config.v1+json');
  });

  it('a tar layer whose entry escapes the target directory is refused', async () => {
    const tar = tarSingleFile('../../etc/plugin.wasm', tinyModule());
    await stage(`${suite.reg.host}/bad/escape:v1`, [{ mediaType: MediaType.ociLayerTarGzip, bytes: gzipSync(tar) }]);
    const err = await rejection(pullModule(`${suite.reg.host}/bad/escape:v1`));
    expect(err.kind).toBe('invalid-input');
    expect(err.message).toContain('"../../etc/plugin.wasm" escapes');
    const abs = tarSingleFile('/plugin.wasm', tinyModule());
    await stage(`${suite.reg.host}/bad/escape:v2`, [{ mediaType: MediaType.ociLayerTarGzip, bytes: gzipSync(abs) }]);
    expect((await rejection(pullModule(`${suite.reg.host}/bad/escape:v2`))).message).toContain('escapes');
  });

  it('a layer that unpacks past the size limit (a gzip bomb) is refused without unpacking it all', async () => {
    const big = new Uint8Array(4 << 20); // 4 MiB of zeros gzips to a few KiB
    big.set(tinyModule());
    const layer = gzipSync(tarSingleFile('plugin.wasm', big));
    expect(layer.byteLength).toBeLessThan(64 * 1024);
    await stage(`${suite.reg.host}/bad/bomb:v1`, [{ mediaType: MediaType.ociLayerTarGzip, bytes: layer }]);
    const err = await rejection(pullModule(`${suite.reg.host}/bad/bomb:v1`, { maxBytes: 1 << 20 }));
    expect(err.kind).toBe('invalid-input');
    expect(err.message).toContain('more than 1048576 bytes');
  });

  it('content larger than the limit is refused before download (the manifest is the first; blobs: test/reliability/registry-edge-cases)', async () => {
    await pushModule(tinyModule(undefined, 'sized'), `${suite.reg.host}/bad/sized:v1`);
    const err = await rejection(pullModule(`${suite.reg.host}/bad/sized:v1`, { maxBytes: 10 }));
    expect(err.kind).toBe('invalid-input');
    expect(err.message).toContain('/manifests/v1: content of');
    expect(err.message).toContain('exceeds the limit of 10 bytes');
  });

  it('an image index is named as such', async () => {
    const wasm = tinyModule(undefined, 'index');
    const pushed = await pushModule(wasm, `${suite.reg.host}/bad/index:single`);
    const index = jsonBytes({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: pushed.manifestDigest,
          size: 1,
          platform: { architecture: 'wasm', os: 'wasip1' },
        },
      ],
    });
    const res = await fetch(`http://${suite.reg.host}/v2/bad/index/manifests/multi`, {
      method: 'PUT',
      headers: { 'content-type': MediaType.ociIndex },
      body: Buffer.from(index),
    });
    expect(res.status).toBe(201);
    const err = await rejection(pullModule(`${suite.reg.host}/bad/index:multi`));
    expect(err.kind).toBe('invalid-input');
    expect(err.message).toContain('image index');
  });

  it('the layout store refuses a blob that was tampered with on disk', async () => {
    const dir = join(suite.home, 'layout');
    const wasm = tinyModule(undefined, 'layout-tamper');
    await pushModule(wasm, `oci:${dir}:v1`);
    const hex = sha256Digest(wasm).slice(7);
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toContain(hex);
    await writeFile(join(dir, 'blobs', 'sha256', hex), tinyModule(undefined, 'layout-tampeX'));
    const err = await rejection(pullModule(`oci:${dir}:v1`));
    expect(err.kind).toBe('integrity');
    const missing = await rejection(pullModule(`oci:${dir}:v9`));
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toContain('it has: v1');
  });
});
