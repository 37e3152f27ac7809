import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest, sha256Hex } from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from './helpers/docker-registry.js';
import { writeHtpasswd } from './helpers/htpasswd.js';
import { tinyModule } from './helpers/wasm-fixture.js';

// Runs the built CLI (npm test builds dist/ first) with its own docker config and store.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
let home: string;
let open: RunningRegistry;
let locked: RunningRegistry;
const env = () => ({ ...process.env, DOCKER_CONFIG: join(home, 'docker'), MESHWASM_STORE: join(home, 'store') });
// The tiny modules pushed here are registry payloads, not filters a build would accept (no memory,
// no allocator): push gets --force past its module checks, which test/sdk/build-refused.test.ts covers.
const meshwasm = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, ...args, ...(args[0] === 'push' ? ['--force'] : [])], {
    encoding: 'utf8',
    env: env(),
    cwd: home,
    input,
  });

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'meshwasm-cli-registry-'));
  await writeHtpasswd(join(home, 'htpasswd'), { carol: 'pa55' });
  open = await startRegistry();
  locked = await startRegistry({ kind: 'htpasswd', htpasswdFile: join(home, 'htpasswd') });
});
afterAll(async () => {
  await open?.stop();
  await locked?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('meshwasm push / pull / inspect / login / logout', () => {
  it('push prints both digests and says which goes where; pull --out writes the module; inspect -o json', async () => {
    const wasm = tinyModule(undefined, 'cli');
    const file = join(home, 'authz.wasm');
    await writeFile(file, wasm);
    const text = meshwasm([
      'push',
      file,
      `${open.host}/filters/authz:v1`,
      '--root-id',
      'authz',
      '--annotation',
      'team=edge',
    ]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`url oci://${open.host}/filters/authz@sha256:[0-9a-f]{64}`));
    expect(text.stdout).toMatch(/with sha256: [0-9a-f]{64}\n/);
    expect(text.stdout).toContain(sha256Hex(wasm));
    expect(text.stderr).toBe(''); // progress only on a TTY

    const json = meshwasm([
      'push',
      file,
      `${open.host}/filters/authz:v1`,
      '--root-id',
      'authz',
      '--annotation',
      'team=edge',
      '-o',
      'json',
    ]);
    const pushed = JSON.parse(json.stdout) as {
      manifestDigest: string;
      moduleSha256: string;
      pinned: string;
      uploaded: string[];
    };
    expect(pushed.moduleSha256).toBe(sha256Hex(wasm));
    expect(pushed.uploaded).toEqual([]); // second push: nothing uploaded

    const out = join(home, 'pulled.wasm');
    const pulled = meshwasm(['pull', pushed.pinned, '--out', out, '-o', 'json']);
    expect(pulled.status, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({
      manifestDigest: pushed.manifestDigest,
      file: out,
      format: 'wasm',
      rootIds: ['authz'],
    });
    expect(Buffer.from(await readFile(out)).equals(Buffer.from(wasm))).toBe(true);

    const defaultOut = meshwasm(['pull', `${open.host}/filters/authz:v1`]);
    expect(defaultOut.status, defaultOut.stderr).toBe(0);
    expect(existsSync(join(home, 'authz.wasm'))).toBe(true);

    const info = JSON.parse(meshwasm(['inspect', `${open.host}/filters/authz:v1`, '-o', 'json']).stdout) as {
      annotations: Record<string, string>;
      abiVersions: string[];
    };
    expect(info.annotations.team).toBe('edge');
    expect(info.abiVersions).toEqual(['0.2.1']);
  });

  it('push to a bare repo:tag lands in the local OCI layout store', async () => {
    const file = join(home, 'local.wasm');
    await writeFile(file, tinyModule(undefined, 'local'));
    const r = meshwasm(['push', file, 'dev/local:latest', '--format', 'compat', '-o', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(home, 'store', 'dev', 'local', 'index.json'))).toBe(true);
    const i = JSON.parse(meshwasm(['inspect', 'dev/local:latest', '-o', 'json']).stdout) as { format: string };
    expect(i.format).toBe('compat');
  });

  it('exit 4 with a login hint, then login --password-stdin, push, logout', async () => {
    const file = join(home, 'locked.wasm');
    await writeFile(file, tinyModule(undefined, 'locked'));
    const denied = meshwasm(['push', file, `${locked.host}/team/f:v1`]);
    expect(denied.status).toBe(4);
    expect(denied.stderr).toContain(
      `push: registry ${locked.host} answered 401 for repository "team/f"; run "meshwasm login ${locked.host}" or pass --username`,
    );

    const withFlags = meshwasm(['push', file, `${locked.host}/team/f:v1`, '-u', 'carol', '--password-stdin'], 'pa55\n');
    expect(withFlags.status, withFlags.stderr).toBe(0);

    const bad = meshwasm(['login', locked.host, '-u', 'carol', '--password-stdin'], 'wrong\n');
    expect(bad.status).toBe(4);
    const ok = meshwasm(['login', locked.host, '-u', 'carol', '--password-stdin', '-o', 'json'], 'pa55\n');
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ registry: locked.host, storedIn: 'file' });
    expect(meshwasm(['pull', `${locked.host}/team/f:v1`, '--out', join(home, 'f.wasm')]).status).toBe(0);
    const out = meshwasm(['logout', locked.host]);
    expect(out.stdout).toContain(`removed credentials for ${locked.host}`);
    expect(meshwasm(['pull', `${locked.host}/team/f:v1`, '--out', join(home, 'f2.wasm')]).status).toBe(4);
  });

  it('exit 5 for a missing tag or file, 3 for bytes that are not wasm, 7 for corrupted content with nothing written', async () => {
    const missing = meshwasm(['pull', `${open.host}/filters/authz:nope`]);
    expect(missing.status).toBe(5);
    expect(missing.stderr).toContain('tag "nope"');
    expect(meshwasm(['push', join(home, 'none.wasm'), `${open.host}/x/y:v1`]).status).toBe(5);
    const junk = join(home, 'junk.wasm');
    await writeFile(junk, 'not wasm');
    expect(meshwasm(['push', junk, `${open.host}/x/y:v1`]).status).toBe(3);

    const wasm = tinyModule(undefined, 'cli-corrupt');
    const file = join(home, 'corrupt.wasm');
    await writeFile(file, wasm);
    const pushedCorrupt = meshwasm(['push', file, `${open.host}/x/corrupt:v1`]);
    expect(pushedCorrupt.status, pushedCorrupt.stderr).toBe(0);
    const hex = sha256Digest(wasm).slice(7);
    await writeFile(
      join(open.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'),
      tinyModule(undefined, 'cli-corrupX'),
    );
    const dir = await mkdtemp(join(home, 'out-'));
    const r = meshwasm(['pull', `${open.host}/x/corrupt:v1`, '--out', join(dir, 'm.wasm')]);
    expect(r.status).toBe(7);
    expect(r.stderr).toContain('nothing was written');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exit 6 when the registry is unreachable, 2 for a bad flag value', () => {
    const r = meshwasm(['inspect', '127.0.0.1:1/x/y:v1']);
    expect(r.status).toBe(6);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(meshwasm(['push', 'a.wasm', 'x/y:v1', '--format', 'zip']).status).toBe(2);
    expect(meshwasm(['push', 'a.wasm', 'x/y:v1', '--annotation', 'novalue']).status).toBe(2);
  });
});
