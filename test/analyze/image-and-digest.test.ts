import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushModule } from '../../registry/index.js';
import { modules } from './helpers/wat-modules.js';
import { pushRaw } from './helpers/raw-push.js';
import { analyzeYaml, codes, only, startRegistry, wasmPlugin, type RunningRegistry } from './helpers/setup.js';

const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('analyze: image layout and digests against a real docker-registry', () => {
  let reg: RunningRegistry;
  let good: Uint8Array;
  let goodDigest: string;
  beforeAll(async () => {
    reg = await startRegistry();
    good = modules.good();
    goodDigest = (await pushModule(good, `${reg.host}/filters/good:v1`)).manifestDigest;
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('a correctly pushed and pinned image yields only the size and start-up figures (MW0311)', async () => {
    const r = await analyzeYaml([
      wasmPlugin('authz', { url: `oci://${reg.host}/filters/good:v1`, sha256: goodDigest.slice(7) }),
    ]);
    expect(codes(r).filter((c) => c !== 'MW0003')).toEqual(['MW0311']);
    expect(only(r, 'MW0311').details).toMatchObject({ bytes: good.length });
    expect(r.counts.Error).toBe(0);
  });

  it('MW0101: a plain single-layer push is named as such, with the media types', async () => {
    await pushRaw(reg.host, 'filters/single', 'v1', {
      config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
      layers: [{ mediaType: 'application/vnd.wasm.content.layer.v1+wasm', bytes: good }],
    });
    const r = await analyzeYaml([wasmPlugin('single', { url: `oci://${reg.host}/filters/single:v1` })]);
    const f = only(r, 'MW0101');
    expect(f.severity).toBe('Error');
    expect(f.subject).toBe('WasmPlugin default/single');
    expect(f.message).toContain('single-layer');
    expect(f.message).toContain('application/vnd.wasm.content.layer.v1+wasm');
    expect(codes(r)).not.toContain('MW0311'); // nothing to load
  });

  it('MW0101: three layers with a wasm layer is not the wasm variant either', async () => {
    const blob = (s: string) => ({
      mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm',
      bytes: Buffer.from(s),
    });
    await pushRaw(reg.host, 'filters/three', 'v1', {
      config: { mediaType: 'application/vnd.module.wasm.config.v1+json', bytes: Buffer.from('{}') },
      layers: [{ mediaType: 'application/vnd.module.wasm.content.layer.v1+wasm', bytes: good }, blob('a'), blob('b')],
    });
    const r = await analyzeYaml([wasmPlugin('three', { url: `oci://${reg.host}/filters/three:v1` })]);
    expect(only(r, 'MW0101').message).toContain('unknown wasm image format');
  });

  it("MW0102: a tag that does not exist is reported with the registry's answer", async () => {
    const r = await analyzeYaml([wasmPlugin('missing', { url: `oci://${reg.host}/filters/good:v9` })]);
    const f = only(r, 'MW0102');
    expect(f.message).toContain('filters/good:v9'.split(':')[0]);
    expect(f.details).toMatchObject({ kind: 'not-found' });
  });

  it('MW0103: a compat image whose tar holds no plugin.wasm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-tar-'));
    writeFileSync(join(dir, 'filter.wasm'), good);
    const tgz = join(dir, 'layer.tgz');
    await tar.c({ gzip: true, file: tgz, cwd: dir }, ['filter.wasm']);
    const { readFileSync } = await import('node:fs');
    await pushRaw(reg.host, 'filters/notar', 'v1', {
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        bytes: Buffer.from('{"architecture":"wasm","os":"wasip1"}'),
      },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: readFileSync(tgz) }],
    });
    const r = await analyzeYaml([wasmPlugin('notar', { url: `oci://${reg.host}/filters/notar:v1` })]);
    expect(only(r, 'MW0103').message).toContain('no plugin.wasm');
  });

  it('MW0201: sha256 set to the module hash says which value is wrong and gives the manifest digest', async () => {
    const r = await analyzeYaml([wasmPlugin('authz', { url: `oci://${reg.host}/filters/good:v1`, sha256: hex(good) })]);
    const f = only(r, 'MW0201');
    expect(f.details).toMatchObject({ wrong: hex(good), right: goodDigest.slice(7) });
    expect(f.message).toContain(`set sha256: ${goodDigest.slice(7)}`);
  });

  it('MW0202: sha256 of another image (a moved tag) gives the current digest', async () => {
    const other = await pushModule(modules.good2(), `${reg.host}/filters/moving:v1`);
    await pushModule(good, `${reg.host}/filters/moving:v1`); // the tag moves on
    const r = await analyzeYaml([
      wasmPlugin('moving', { url: `oci://${reg.host}/filters/moving:v1`, sha256: other.manifestDigest.slice(7) }),
    ]);
    const f = only(r, 'MW0202');
    expect(f.details).toMatchObject({ wrong: other.manifestDigest.slice(7), right: goodDigest.slice(7) });
  });

  it('MW0203: a url pinned to one digest and a sha256 naming another', async () => {
    const other = await pushModule(modules.good2(), `${reg.host}/filters/other:v1`);
    const r = await analyzeYaml([
      wasmPlugin('pinned', {
        url: `oci://${reg.host}/filters/good@${goodDigest}`,
        sha256: other.manifestDigest.slice(7),
      }),
    ]);
    expect(only(r, 'MW0203').details).toMatchObject({ urlDigest: goodDigest, sha256: other.manifestDigest.slice(7) });
  });

  it('MW0204: :latest and no tag without a digest warn; a pinned :latest does not', async () => {
    await pushModule(good, `${reg.host}/filters/good:latest`);
    const r = await analyzeYaml([
      wasmPlugin('latest', { url: `oci://${reg.host}/filters/good:latest`, priority: 1 }),
      wasmPlugin('untagged', { url: `oci://${reg.host}/filters/good`, priority: 2 }),
      wasmPlugin('pinned', { url: `oci://${reg.host}/filters/good:latest`, sha256: goodDigest.slice(7), priority: 3 }),
    ]);
    const warned = r.findings.filter((f) => f.code === 'MW0204').map((f) => f.subject);
    expect(warned).toEqual(['WasmPlugin default/latest', 'WasmPlugin default/untagged']);
    expect(r.findings.find((f) => f.code === 'MW0204')!.severity).toBe('Warning');
  });
});
