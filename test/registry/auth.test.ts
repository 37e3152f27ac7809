import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DockerConfig,
  login,
  logout,
  openTarget,
  pullModule,
  pushModule,
  RegistryError,
  type RemoteRepository,
  staticCredentials,
} from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from './helpers/docker-registry.js';
import { writeHtpasswd } from './helpers/htpasswd.js';
import { startTokenServer, type TokenServer } from './helpers/token-server.js';
import { tinyModule } from './helpers/wasm-fixture.js';
import { rejection } from './helpers/suite.js';

let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'meshwasm-auth-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('htpasswd basic auth on a real docker-registry', () => {
  let reg: RunningRegistry;
  let cfg: string;
  beforeAll(async () => {
    const htpasswd = join(home, 'htpasswd');
    await writeHtpasswd(htpasswd, { alice: 's3cret' });
    reg = await startRegistry({ kind: 'htpasswd', htpasswdFile: htpasswd });
    cfg = join(home, 'basic-docker', 'config.json');
  });
  afterAll(() => reg?.stop());

  it('refuses anonymous pushes with a 401 that says how to log in', async () => {
    const err = await rejection(pushModule(tinyModule(), `${reg.host}/filters/authz:v1`, { dockerConfig: cfg }));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.kind).toBe('auth');
    expect(err.status).toBe(401);
    expect(err.message).toContain(`registry ${reg.host} answered 401`);
    expect(err.message).toContain('repository "filters/authz"');
    expect(err.message).toContain(`meshwasm login ${reg.host}`);
  });

  it('login checks the password before storing it, in docker config format; push and pull then work; logout removes it', async () => {
    const bad = await rejection(login(reg.host, 'alice', 'wrong', { dockerConfig: cfg }));
    expect(bad.kind).toBe('auth');
    await expect(readFile(cfg, 'utf8')).rejects.toThrow();

    const done = await login(reg.host, 'alice', 's3cret', { dockerConfig: cfg });
    expect(done.storedIn).toBe('file');
    const file = JSON.parse(await readFile(cfg, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(file.auths[reg.host]!.auth, 'base64').toString()).toBe('alice:s3cret');

    const wasm = tinyModule(undefined, 'basic');
    const pushed = await pushModule(wasm, `${reg.host}/filters/authz:v1`, { dockerConfig: cfg });
    const pulled = await pullModule(`${reg.host}/filters/authz:v1`, { dockerConfig: cfg });
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);

    expect((await logout(reg.host, { dockerConfig: cfg })).removed).toBe(true);
    expect((await rejection(pullModule(`${reg.host}/filters/authz:v1`, { dockerConfig: cfg }))).kind).toBe('auth');
  });

  it('wrong stored credentials are named as refused', async () => {
    const err = await rejection(
      pullModule(`${reg.host}/filters/authz:v1`, {
        credentials: staticCredentials({ username: 'alice', password: 'nope' }),
      }),
    );
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('credentials were refused');
  });

  it('reads credentials from a docker credential helper (credHelpers) and stores through credsStore', async () => {
    const bin = join(home, 'bin');
    const store = join(home, 'helper-store.json');
    await writeFile(store, JSON.stringify({ [reg.host]: { Username: 'alice', Secret: 's3cret' } }));
    // A real helper program speaking docker's protocol (get/store/erase on stdin/stdout), backed by a JSON file.
    const helper = `#!/usr/bin/env node
const fs = require('fs'); const verb = process.argv[2]; const input = fs.readFileSync(0, 'utf8').trim();
const db = JSON.parse(fs.readFileSync(${JSON.stringify(store)}, 'utf8'));
if (verb === 'get') { const e = db[input]; if (!e) { console.log('credentials not found in native keychain'); process.exit(1); } console.log(JSON.stringify({ ServerURL: input, ...e })); }
else if (verb === 'store') { const o = JSON.parse(input); db[o.ServerURL] = { Username: o.Username, Secret: o.Secret }; fs.writeFileSync(${JSON.stringify(store)}, JSON.stringify(db)); }
else if (verb === 'erase') { delete db[input]; fs.writeFileSync(${JSON.stringify(store)}, JSON.stringify(db)); }
`;
    await import('node:fs/promises').then((fs) => fs.mkdir(bin, { recursive: true }));
    await writeFile(join(bin, 'docker-credential-meshtest'), helper);
    await chmod(join(bin, 'docker-credential-meshtest'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      const helperCfg = join(home, 'helper-docker', 'config.json');
      await import('node:fs/promises').then((fs) => fs.mkdir(join(home, 'helper-docker'), { recursive: true }));
      await writeFile(helperCfg, JSON.stringify({ credHelpers: { [reg.host]: 'meshtest' } }));
      expect(await new DockerConfig(helperCfg).get(reg.host)).toEqual({ username: 'alice', password: 's3cret' });
      const pushed = await pushModule(tinyModule(undefined, 'helper'), `${reg.host}/filters/helper:v1`, {
        dockerConfig: helperCfg,
      });
      expect(pushed.uploaded).toHaveLength(2);

      const storeCfg = join(home, 'store-docker', 'config.json');
      await import('node:fs/promises').then((fs) => fs.mkdir(join(home, 'store-docker'), { recursive: true }));
      await writeFile(storeCfg, JSON.stringify({ credsStore: 'meshtest' }));
      await writeFile(store, '{}');
      expect((await login(reg.host, 'alice', 's3cret', { dockerConfig: storeCfg })).storedIn).toBe('helper');
      expect(JSON.parse(await readFile(store, 'utf8'))[reg.host]).toEqual({ Username: 'alice', Secret: 's3cret' });
      await logout(reg.host, { dockerConfig: storeCfg });
      expect(JSON.parse(await readFile(store, 'utf8'))[reg.host]).toBeUndefined();
    } finally {
      process.env.PATH = oldPath;
    }
  });
});

describe('Bearer token auth: a real docker-registry trusting a token server in the test', () => {
  let reg: RunningRegistry;
  let tokens: TokenServer;
  beforeAll(async () => {
    const dir = await mkdtemp(join(home, 'token-'));
    tokens = await startTokenServer(dir, { bob: 'hunter2' }, { 'refresh-for-bob': 'bob' });
    reg = await startRegistry({
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootCertBundle: tokens.rootCertBundle,
    });
  });
  afterAll(async () => {
    await reg?.stop();
    await tokens?.stop();
  });

  it('gets a scoped token with the credentials, caches it, and pushes and pulls', async () => {
    const creds = staticCredentials({ username: 'bob', password: 'hunter2' });
    const before = tokens.requests.length;
    const pushed = await pushModule(tinyModule(undefined, 'token'), `${reg.host}/team/filter:v1`, {
      credentials: creds,
    });
    const pushTokens = tokens.requests.slice(before);
    expect(pushTokens[0]?.scopes).toContain('repository:team/filter:pull,push');
    // One token for the whole push (several blob checks, uploads and the manifest), not one per request.
    expect(pushTokens).toHaveLength(1);
    expect(pushTokens[0]!.user).toBe('bob');
    const pulled = await pullModule(`${reg.host}/team/filter:v1`, { credentials: creds });
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
  });

  it('trades a docker identitytoken (from the docker config) for an access token with the OAuth2 POST', async () => {
    const cfgDir = await mkdtemp(join(home, 'identity-'));
    await writeFile(
      join(cfgDir, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { identitytoken: 'refresh-for-bob' } } }),
    );
    const before = tokens.requests.length;
    const pushed = await pushModule(tinyModule(undefined, 'identity'), `${reg.host}/team/identity:v1`, {
      dockerConfig: join(cfgDir, 'config.json'),
    });
    expect(tokens.requests.slice(before).map((r) => r.user)).toEqual(['bob']);
    expect(pushed.uploaded).toHaveLength(2);
  });

  it('the referrers API is reported as unsupported on distribution 2.8, not as an error', async () => {
    const creds = staticCredentials({ username: 'bob', password: 'hunter2' });
    const pushed = await pushModule(tinyModule(undefined, 'refs'), `${reg.host}/team/refs:v1`, { credentials: creds });
    const { target } = openTarget(`${reg.host}/team/refs:v1`, { credentials: creds });
    expect(await (target as RemoteRepository).referrers(pushed.manifestDigest)).toBeUndefined();
  });

  it('an anonymous token grants nothing: the push fails with a login hint', async () => {
    const err = await rejection(
      pushModule(tinyModule(), `${reg.host}/team/filter:v2`, { credentials: async () => undefined }),
    );
    expect(err.kind).toBe('auth');
    expect(err.message).toContain(`meshwasm login ${reg.host}`);
  });

  it('bad credentials are refused by the token server', async () => {
    const err = await rejection(
      pullModule(`${reg.host}/team/filter:v1`, { credentials: staticCredentials({ username: 'bob', password: 'x' }) }),
    );
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('token server');
  });
});
