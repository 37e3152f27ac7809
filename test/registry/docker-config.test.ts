import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  credentialsFromDockerConfigJson,
  DockerConfig,
  dockerConfigPath,
  parseReference,
  RegistryError,
} from '../../registry/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwasm-dockercfg-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('docker config credentials', () => {
  it('finds DOCKER_CONFIG, else ~/.docker', () => {
    expect(dockerConfigPath({ DOCKER_CONFIG: '/etc/dc' } as NodeJS.ProcessEnv)).toBe('/etc/dc/config.json');
    expect(dockerConfigPath({} as NodeJS.ProcessEnv)).toMatch(/\.docker\/config\.json$/);
  });

  it('matches auths keys written with a scheme or path, and Docker Hub under its v1 URL', async () => {
    const path = join(dir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({
        auths: {
          'https://reg.example.com:5000/v2/': { auth: b64('u1:p:with:colons') },
          'https://index.docker.io/v1/': { auth: b64('hub:pw') },
          'tok.example.com': { identitytoken: 'refresh' },
        },
      }),
    );
    const cfg = new DockerConfig(path);
    expect(await cfg.get('reg.example.com:5000')).toEqual({ username: 'u1', password: 'p:with:colons' });
    expect(await cfg.get(parseReference('docker.io/nginx:1').kind === 'remote' ? 'docker.io' : '')).toEqual({
      username: 'hub',
      password: 'pw',
    });
    expect(await cfg.get('tok.example.com')).toEqual({ identityToken: 'refresh' });
    expect(await cfg.get('other.example.com')).toBeUndefined();
  });

  it('store keeps other settings and logout removes only that registry', async () => {
    const path = join(dir, 'keep.json');
    await writeFile(path, JSON.stringify({ auths: { 'a.example.com': { auth: b64('a:a') } }, psFormat: 'table' }));
    const cfg = new DockerConfig(path);
    await cfg.store('b.example.com', 'b', 'b');
    await cfg.erase('a.example.com');
    const file = JSON.parse(await readFile(path, 'utf8')) as { auths: Record<string, unknown>; psFormat: string };
    expect(Object.keys(file.auths)).toEqual(['b.example.com']);
    expect(file.psFormat).toBe('table');
  });

  it('reads an imagePullSecret (.dockerconfigjson) from memory, and names a broken one', async () => {
    const source = credentialsFromDockerConfigJson(
      JSON.stringify({ auths: { 'r.example.com': { auth: b64('pull:secret') } } }),
    );
    expect(await source('r.example.com')).toEqual({ username: 'pull', password: 'secret' });
    expect(() => credentialsFromDockerConfigJson('{nope', 'secret istio-system/pull')).toThrow(RegistryError);
    await writeFile(join(dir, 'bad.json'), '{nope');
    await expect(new DockerConfig(join(dir, 'bad.json')).get('x')).rejects.toThrow(/is not valid JSON/);
  });

  it('Docker Hub references get library/ and the docker.io name', () => {
    expect(parseReference('docker.io/nginx:1')).toMatchObject({ registry: 'docker.io', repository: 'library/nginx' });
    expect(parseReference('index.docker.io/acme/f:1')).toMatchObject({ registry: 'docker.io', repository: 'acme/f' });
  });
});
