import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushModule } from '../../registry/index.js';
import { modules } from './helpers/wat-modules.js';
import { writeHtpasswd } from '../registry/helpers/htpasswd.js';
import {
  analyzeYaml,
  codes,
  only,
  startRegistry,
  tempFile,
  wasmPlugin,
  type RunningRegistry,
} from './helpers/setup.js';

const deployment = (name: string, labels: Record<string, string>, namespace = 'default') =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'app' }] } },
    },
  });
const secret = (name: string, namespace: string, type: string, registry: string, user = 'u', pass = 'p') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type,
    data: {
      '.dockerconfigjson': Buffer.from(
        JSON.stringify({ auths: { [registry]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } }),
      ).toString('base64'),
    },
  });

describe('analyze: manifests and mesh-wide configuration', () => {
  let reg: RunningRegistry;
  let img: { url: string; sha256: string };
  beforeAll(async () => {
    reg = await startRegistry();
    const p = await pushModule(modules.good(), `${reg.host}/filters/good:v1`);
    img = { url: `oci://${reg.host}/filters/good:v1`, sha256: p.manifestDigest.slice(7) };
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('MW0001: a WasmPlugin without url names the field', async () => {
    const r = await analyzeYaml([wasmPlugin('nourl', { phase: 'AUTHZ' })]);
    expect(only(r, 'MW0001').details).toEqual({ field: 'spec.url' });
  });

  it('MW0001: sha256 written with its "sha256:" prefix', async () => {
    const r = await analyzeYaml([wasmPlugin('prefixed', { ...img, sha256: `sha256:${img.sha256}` })]);
    expect(only(r, 'MW0001').message).toContain('without "sha256:"');
  });

  it('MW0002: TrafficExtension against Istio 1.28; WasmPlugin is fine there', async () => {
    const te = JSON.stringify({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'TrafficExtension',
      metadata: { name: 'te', namespace: 'default' },
      spec: { wasm: { ...img } },
    });
    const r = await analyzeYaml([te, wasmPlugin('wp', { ...img, priority: 5 })], { istioVersion: '1.28' });
    const f = only(r, 'MW0002');
    expect(f.subject).toBe('TrafficExtension default/te');
    expect(f.message).toContain('1.30');
    // The TrafficExtension's module is still checked (spec.wasm is read).
    expect(r.findings.filter((x) => x.code === 'MW0311').map((x) => x.subject)).toEqual([
      'TrafficExtension default/te',
      'WasmPlugin default/wp',
    ]);
  });

  it('MW0003: without workloads the selector check is skipped, once, and said so', async () => {
    const r = await analyzeYaml([wasmPlugin('a', { ...img, priority: 1 }), wasmPlugin('b', { ...img, priority: 2 })]);
    expect(only(r, 'MW0003').message).toContain('2 extension(s)');
  });

  it('MW0401: same phase and priority on overlapping workloads warns for both; distinct selectors do not', async () => {
    const r = await analyzeYaml([
      wasmPlugin('authz-a', { ...img, phase: 'AUTHZ', priority: 10 }),
      wasmPlugin('authz-b', { ...img, phase: 'AUTHZ', priority: 10, selector: { matchLabels: { app: 'web' } } }),
      wasmPlugin('stats', { ...img, phase: 'STATS', priority: 10 }),
      wasmPlugin('authz-other-app', {
        ...img,
        phase: 'AUTHZ',
        priority: 20,
        selector: { matchLabels: { app: 'api' } },
      }),
      wasmPlugin('authz-web', { ...img, phase: 'AUTHZ', priority: 20, selector: { matchLabels: { app: 'web' } } }),
      deployment('web', { app: 'web' }),
      deployment('api', { app: 'api' }),
    ]);
    const dup = r.findings
      .filter((f) => f.code === 'MW0401')
      .map((f) => `${f.subject}|${(f.details as { other: string }).other}`);
    expect(dup).toEqual([
      'WasmPlugin default/authz-a|WasmPlugin default/authz-b',
      'WasmPlugin default/authz-b|WasmPlugin default/authz-a',
    ]);
  });

  it('MW0402: a pull secret that lives in another namespace; MW0403: one of the wrong type', async () => {
    const r = await analyzeYaml([
      wasmPlugin('elsewhere', { ...img, imagePullSecret: 'regcred', priority: 1 }, 'apps'),
      wasmPlugin('opaque', { ...img, imagePullSecret: 'plain', priority: 2 }, 'apps'),
      wasmPlugin('slashed', { ...img, imagePullSecret: 'istio-system/regcred', priority: 3 }, 'apps'),
      secret('regcred', 'istio-system', 'kubernetes.io/dockerconfigjson', reg.host),
      secret('plain', 'apps', 'Opaque', reg.host),
      deployment('web', { app: 'web' }, 'apps'),
    ]);
    const f = r.findings.filter((x) => x.code === 'MW0402');
    expect(f.map((x) => x.subject)).toEqual(['WasmPlugin apps/elsewhere', 'WasmPlugin apps/slashed']);
    expect(f[0]!.details).toMatchObject({ imagePullSecret: 'regcred', foundIn: ['istio-system'] });
    expect(only(r, 'MW0403').details).toMatchObject({ imagePullSecret: 'plain', type: 'Opaque' });
  });

  it('MW0403: a pull secret absent from the given Secrets', async () => {
    const r = await analyzeYaml([
      wasmPlugin('nosecret', { ...img, imagePullSecret: 'missing' }),
      secret('other', 'default', 'kubernetes.io/dockerconfigjson', reg.host),
      deployment('web', { app: 'web' }),
    ]);
    expect(only(r, 'MW0403').message).toContain('"missing"');
  });

  it('MW0404: a selector that matches no given workload lists what is there; a matching one is quiet', async () => {
    const r = await analyzeYaml([
      wasmPlugin('typo', { ...img, selector: { matchLabels: { app: 'wbe' } }, priority: 1 }),
      wasmPlugin('ok', { ...img, selector: { matchLabels: { app: 'web' } }, priority: 2 }),
      wasmPlugin('gw', {
        ...img,
        targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'ingress' }],
        priority: 3,
      }),
      deployment('web', { app: 'web', version: 'v1' }),
    ]);
    const f = r.findings.filter((x) => x.code === 'MW0404');
    expect(f.map((x) => x.subject)).toEqual(['WasmPlugin default/typo', 'WasmPlugin default/gw']);
    expect(f[0]!.message).toContain('app=wbe');
    expect(f[0]!.message).toContain('Deployment default/web');
    expect(codes(r)).not.toContain('MW0003');
  });

  it("pulls with the extension's pull secret from the input, as the proxy would (htpasswd registry)", async () => {
    const htpasswd = tempFile('htpasswd', '');
    await writeHtpasswd(htpasswd, { alice: 's3cret' });
    const secured = await startRegistry({ kind: 'htpasswd', htpasswdFile: htpasswd });
    try {
      const p = await pushModule(modules.good(), `${secured.host}/filters/private:v1`, {
        credentials: async () => ({ username: 'alice', password: 's3cret' }),
      });
      const url = `oci://${secured.host}/filters/private:v1`;
      const anonymous = await analyzeYaml([wasmPlugin('private', { url, sha256: p.manifestDigest.slice(7) })]);
      expect(only(anonymous, 'MW0102').details).toMatchObject({ kind: 'auth' });
      const withSecret = await analyzeYaml([
        wasmPlugin('private', { url, sha256: p.manifestDigest.slice(7), imagePullSecret: 'regcred' }),
        secret('regcred', 'default', 'kubernetes.io/dockerconfigjson', secured.host, 'alice', 's3cret'),
        deployment('web', { app: 'web' }),
      ]);
      expect(codes(withSecret)).toEqual(['MW0311']);
      const withFlag = await analyzeYaml([wasmPlugin('private', { url, sha256: p.manifestDigest.slice(7) })], {
        credentials: [{ host: secured.host, credentials: { username: 'alice', password: 's3cret' } }],
      });
      expect(codes(withFlag)).not.toContain('MW0102');
    } finally {
      await secured.stop();
    }
  });
});
