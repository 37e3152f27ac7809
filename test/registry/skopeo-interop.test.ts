import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullModule, pushModule, sha256Hex, MediaType } from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from './helpers/docker-registry.js';
import { tinyModule } from './helpers/wasm-fixture.js';

const run = promisify(execFile);
const skopeo = async (...args: string[]) => (await run('skopeo', args, { maxBuffer: 16 << 20 })).stdout;

let reg: RunningRegistry;
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'meshwasm-skopeo-'));
  process.env.DOCKER_CONFIG = join(home, 'docker');
  process.env.MESHWASM_STORE = join(home, 'store');
  reg = await startRegistry();
});
afterAll(async () => {
  await reg?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('interop with skopeo, an independent OCI client', () => {
  it('skopeo reads the wasm variant meshwasm pushed to the registry, byte for byte', async () => {
    const wasm = tinyModule(undefined, 'skopeo-wasm');
    const pushed = await pushModule(wasm, `${reg.host}/interop/wasm:v1`);
    const raw = JSON.parse(
      await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/interop/wasm:v1`),
    ) as { layers: { mediaType: string }[] };
    expect(raw.layers.map((l) => l.mediaType)).toEqual([MediaType.wasmConfig, MediaType.wasmContentLayer]);
    // skopeo copies the artifact into an OCI layout unchanged: same manifest digest.
    const dir = join(home, 'copied-wasm');
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/interop/wasm:v1`, `oci:${dir}:v1`);
    const back = await pullModule(`oci:${dir}:v1`);
    expect(back.manifestDigest).toBe(pushed.manifestDigest);
    expect(back.moduleSha256).toBe(sha256Hex(wasm));
  });

  it('skopeo inspects the compat image and copies it; meshwasm pulls what skopeo copied as a Docker image', async () => {
    const wasm = tinyModule(undefined, 'skopeo-compat');
    const pushed = await pushModule(wasm, `${reg.host}/interop/compat:v1`, { format: 'compat' });
    const info = JSON.parse(
      await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/interop/compat:v1`),
    ) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
    expect(info.Digest).toBe(pushed.manifestDigest);
    expect(info.Architecture).toBe('wasm');
    expect(info.Layers).toHaveLength(1);
    // Converting to Docker schema 2 gives Istio's third layout (docker image, rootfs.diff.tar.gzip).
    await skopeo(
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--format',
      'v2s2',
      `docker://${reg.host}/interop/compat:v1`,
      `docker://${reg.host}/interop/docker:v1`,
    );
    const pulled = await pullModule(`${reg.host}/interop/docker:v1`);
    expect(pulled.format).toBe('docker');
    expect(pulled.moduleSha256).toBe(sha256Hex(wasm));
    expect(pulled.manifestDigest).not.toBe(pushed.manifestDigest);
  });

  it('skopeo reads the OCI layout store meshwasm writes for a bare repo:tag, and copies it to a registry', async () => {
    const wasm = tinyModule(undefined, 'skopeo-layout');
    const pushed = await pushModule(wasm, 'local/authz:dev');
    expect(pushed.pinned).toBe(`local/authz@${pushed.manifestDigest}`);
    const layout = `oci:${join(home, 'store', 'local', 'authz')}:dev`;
    const raw = JSON.parse(await skopeo('inspect', '--raw', layout)) as { layers: { digest: string }[] };
    expect(raw.layers).toHaveLength(2);
    await skopeo('copy', '--dest-tls-verify=false', layout, `docker://${reg.host}/interop/from-layout:dev`);
    const pulled = await pullModule(`${reg.host}/interop/from-layout:dev`);
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
    expect(Buffer.from(pulled.module).equals(Buffer.from(wasm))).toBe(true);
    // And the compat form in a layout passes skopeo's full (config-parsing) inspect.
    await pushModule(wasm, `oci:${join(home, 'explicit')}:c1`, { format: 'compat' });
    const full = JSON.parse(await skopeo('inspect', `oci:${join(home, 'explicit')}:c1`)) as { Os: string };
    expect(full.Os).toBe('wasip1');
  });
});
