import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { DirectorySource, parseManifests } from '../../control-plane/index.js';
import { eventually, tempDir, wasmPlugin, writeManifest } from './helpers.js';

describe('directory source', () => {
  let src: DirectorySource | undefined;
  let dir: string;
  afterEach(async () => {
    await src?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks up added, changed and deleted manifests', async () => {
    dir = tempDir('dirsrc');
    src = new DirectorySource(dir, { debounceMs: 20, rescanMs: 60_000 });
    await src.start();
    expect(src.snapshot().extensions).toEqual([]);

    const added = once(src, 'change');
    writeManifest(dir, 'a.yaml', wasmPlugin('a', { url: 'oci://127.0.0.1:5000/filters/a:v1' }));
    await added;
    expect(src.snapshot().extensions.map((e) => [e.name, e.url])).toEqual([['a', 'oci://127.0.0.1:5000/filters/a:v1']]);

    const changed = once(src, 'change');
    writeManifest(dir, 'a.yaml', wasmPlugin('a', { url: 'oci://127.0.0.1:5000/filters/a:v2' }));
    await changed;
    expect(src.snapshot().extensions[0]!.url).toBe('oci://127.0.0.1:5000/filters/a:v2');

    const deleted = once(src, 'change');
    rmSync(join(dir, 'a.yaml'));
    await deleted;
    expect(src.snapshot().extensions).toEqual([]);
  });

  it('catches changes fs.watch misses (subdirectories) with the periodic rescan', async () => {
    dir = tempDir('dirsrc');
    src = new DirectorySource(dir, { debounceMs: 20, rescanMs: 100 });
    await src.start();
    const sub = join(dir, 'team-a');
    (await import('node:fs')).mkdirSync(sub);
    writeManifest(sub, 'b.yml', wasmPlugin('b', { url: 'https://example.com/b.wasm' }));
    await eventually(() => src!.snapshot().extensions.length === 1, 'the rescan to find team-a/b.yml');
  });

  it('rejects an invalid manifest with an error naming the file and the field, and keeps the valid ones', async () => {
    dir = tempDir('dirsrc');
    writeManifest(dir, 'good.yaml', wasmPlugin('good', { url: 'oci://r/good:v1' }));
    writeManifest(dir, 'bad.yaml', wasmPlugin('bad', { url: 'oci://r/bad:v1', phase: 'LATE' }));
    writeFileSync(join(dir, 'broken.yaml'), 'kind: [unclosed');
    src = new DirectorySource(dir, { rescanMs: 60_000 });
    await src.start();
    const snap = src.snapshot();
    expect(snap.extensions.map((e) => e.name)).toEqual(['good']);
    const bad = snap.errors.find((e) => e.origin.endsWith('bad.yaml'))!;
    expect(bad.field).toBe('spec.phase');
    expect(bad.message).toMatch(
      /bad\.yaml: WasmPlugin default\/bad: field spec\.phase must be one of AUTHN, AUTHZ, STATS/,
    );
    expect(snap.errors.find((e) => e.origin.endsWith('broken.yaml'))!.message).toContain('not valid YAML');
  });
});

describe('manifest validation against the CRD schemas', () => {
  const check = (doc: object) => parseManifests(JSON.stringify(doc), 'm.json');

  it.each([
    [{ url: 'oci://r/a:v1', sha256: 'xyz' }, 'spec.sha256'],
    [{ url: 'oci://r/a:v1', failStrategy: 'FAIL_SOMETIMES' }, 'spec.failStrategy'],
    [
      { url: 'oci://r/a:v1', selector: { matchLabels: { app: 'a' } }, targetRefs: [{ kind: 'Gateway', name: 'gw' }] },
      'spec.targetRefs',
    ],
    [{ url: 'ftp://r/a.wasm' }, 'spec.url'],
    [{ sha256: '' }, 'spec.url'],
    [{ url: 'oci://r/a:v1', priority: 2 ** 40 }, 'spec.priority'],
    [{ url: 'oci://r/a:v1', selector: { matchLabels: { app: 'web-*' } } }, 'spec.selector.matchLabels.app'],
  ])('WasmPlugin spec %j fails on %s', (spec, field) => {
    const { errors, extensions } = check(wasmPlugin('x', spec));
    expect(extensions).toEqual([]);
    expect(errors[0]!.field).toBe(field);
    expect(errors[0]!.message).toContain('m.json');
  });

  it('accepts a TrafficExtension with spec.wasm and rejects one with both wasm and lua', () => {
    const te = (spec: object) => ({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'TrafficExtension',
      metadata: { name: 't' },
      spec,
    });
    const ok = check(
      te({
        wasm: { url: 'oci://r/t:v1', failStrategy: 'FAIL_RELOAD' },
        phase: 'STATS',
        targetRefs: [{ kind: 'Gateway', name: 'gw' }],
      }),
    );
    expect(ok.errors).toEqual([]);
    expect(ok.extensions[0]).toMatchObject({
      kind: 'TrafficExtension',
      url: 'oci://r/t:v1',
      failStrategy: 'FAIL_RELOAD',
      phase: 'STATS',
      targetRefs: [{ kind: 'Gateway', name: 'gw' }],
    });
    const both = check(te({ wasm: { url: 'oci://r/t:v1' }, lua: { inlineCode: 'x' } }));
    expect(both.errors[0]!.message).toContain('wasm');
  });

  it('ignores documents of other API groups and reports a wrong kind', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } };
    expect(check(svc)).toEqual({ extensions: [], errors: [] });
    const typo = check({ ...wasmPlugin('x', { url: 'oci://r/a' }), kind: 'WasmPlugn' });
    expect(typo.errors[0]).toMatchObject({ field: 'kind' });
  });
});
