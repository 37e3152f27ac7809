// A WasmPlugin's imagePullSecret becomes registry credentials in the control plane, as istio-agent
// does: a real docker-registry with htpasswd auth on 127.0.0.1, the secret from the pull-secrets
// directory (directory mode; the Kubernetes Secret lookup shares the same parsing).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectoryPullSecrets,
  DirectorySource,
  OciModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import * as registry from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from '../registry/helpers/docker-registry.js';
import { writeHtpasswd } from '../registry/helpers/htpasswd.js';
import { tinyModule } from '../registry/helpers/wasm-fixture.js';
import { eventually, tempDir, wasmPlugin, writeManifest } from './helpers.js';

describe('imagePullSecret -> registry credentials (real docker-registry with htpasswd)', () => {
  const work = tempDir('pull-secret');
  const secrets = join(work, 'pull-secrets');
  const config = join(work, 'extensions');
  let reg: RunningRegistry;
  let cp: ControlPlane;
  let digest: string;
  let otherDigest: string;

  beforeAll(async () => {
    const htpasswd = join(work, 'htpasswd');
    await writeHtpasswd(htpasswd, { alice: 's3cret' });
    reg = await startRegistry({ kind: 'htpasswd', htpasswdFile: htpasswd });
    const pushed = await registry.pushModule(tinyModule(), `${reg.host}/filters/private:v1`, {
      credentials: registry.staticCredentials({ username: 'alice', password: 's3cret' }),
    });
    digest = pushed.manifestDigest.slice('sha256:'.length);
    // Another module for the plugin without a secret: the cache would otherwise answer for it.
    const other = await registry.pushModule(tinyModule(undefined, 'other'), `${reg.host}/filters/other:v1`, {
      credentials: registry.staticCredentials({ username: 'alice', password: 's3cret' }),
    });
    otherDigest = other.manifestDigest.slice('sha256:'.length);
    mkdirSync(join(secrets, 'shop'), { recursive: true });
    // The JSON form (docker config) for one secret, the Secret manifest for the other.
    const auths = { auths: { [reg.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } };
    writeFileSync(join(secrets, 'shop', 'regcred.json'), JSON.stringify(auths));
    writeFileSync(
      join(secrets, 'shop', 'regcred-secret.yaml'),
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/dockerconfigjson',
        metadata: { name: 'regcred-secret', namespace: 'shop' },
        data: { '.dockerconfigjson': Buffer.from(JSON.stringify(auths)).toString('base64') },
      }),
    );
    mkdirSync(config);
    const plugin = (name: string, secret: string, repo = 'private', sha = digest) =>
      wasmPlugin(name, { url: `oci://${reg.host}/filters/${repo}:v1`, sha256: sha, imagePullSecret: secret }, 'shop');
    writeManifest(config, 'a.yaml', plugin('with-json', 'regcred'));
    writeManifest(config, 'b.yaml', plugin('with-secret', 'regcred-secret'));
    writeManifest(config, 'c.yaml', plugin('missing', 'nope', 'other', otherDigest));
    cp = await startControlPlane({
      sources: [new DirectorySource(config, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver(
        [
          new OciModuleSource(
            registry,
            { plainHttp: true, dockerConfig: join(work, 'no-docker-config.json') },
            new DirectoryPullSecrets(secrets),
          ),
        ],
        { dir: join(work, 'cache') },
      ),
      retryMs: 60_000,
    });
  }, 60_000);
  afterAll(async () => {
    await cp?.close();
    await reg?.stop();
  });

  it('pulls with the secret of the plugin namespace; a missing secret is named with where it was looked up', async () => {
    const status = await eventually(() => {
      const s = cp.status();
      return s.extensions.length === 3 && s.extensions.every((e) => e.state !== 'Pending') ? s : undefined;
    }, 'all three extensions resolved');
    const by = (n: string) => status.extensions.find((e) => e.name === n)!;
    expect(by('with-json')).toMatchObject({ state: 'Serving', digest });
    expect(by('with-secret')).toMatchObject({ state: 'Serving', digest });
    expect(by('missing').state).toBe('Fallback');
    expect(by('missing').error).toContain(
      `imagePullSecret "nope" was not found in namespace shop (looked in directory ${secrets})`,
    );
    expect(JSON.stringify(status)).not.toContain('s3cret');
  });

  it('a private module cached for one namespace is not served to another namespace without its own credentials', async () => {
    // Added only now, so the private digest is already in the cache when they are resolved.
    mkdirSync(join(secrets, 'billing'), { recursive: true });
    writeFileSync(
      join(secrets, 'billing', 'regcred.json'),
      JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }),
    );
    const url = `oci://${reg.host}/filters/private:v1`;
    writeManifest(config, 'd.yaml', wasmPlugin('intruder', { url, sha256: digest }, 'guest'));
    writeManifest(
      config,
      'e.yaml',
      wasmPlugin('billing', { url, sha256: digest, imagePullSecret: 'regcred' }, 'billing'),
    );
    const status = await eventually(() => {
      const s = cp.status();
      const mine = s.extensions.filter((e) => e.name === 'intruder' || e.name === 'billing');
      return mine.length === 2 && mine.every((e) => e.state !== 'Pending') ? s : undefined;
    }, 'the two new extensions resolved');
    const by = (n: string) => status.extensions.find((e) => e.name === n)!;
    expect(by('billing')).toMatchObject({ state: 'Serving', digest });
    expect(by('intruder').state).not.toBe('Serving');
    expect(by('intruder').error).toMatch(/401|unauthori[sz]ed|credentials/i);
    expect(JSON.stringify(status)).not.toContain('s3cret');
  });
});
