// Issue 14 item 11: registry edge cases, against real HTTP servers on loopback and a real
// docker-registry. Bodies past --max-size are refused at once with exit 3 (one request, not four
// retried downloads); manifest GETs follow redirects as blob GETs do, without taking credentials
// to another origin; Basic credentials never travel in clear text to a token realm on another host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullModule, pushModule, staticCredentials } from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from '../registry/helpers/docker-registry.js';
import { tinyModule } from '../registry/helpers/wasm-fixture.js';
import { rejection } from '../registry/helpers/suite.js';
import { runCli } from './helpers/run-cli.js';
import { manifestJson, startServer, streamBytes, type TestServer } from './helpers/misbehaving-registry.js';

const creds = staticCredentials({ username: 'alice', password: 's3cret-pw' });
const basicAlice = `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`;

async function pullCli(ref: string, ...args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'meshwasm-edge-'));
  try {
    return await runCli(['pull', ref, '--out', join(out, 'm.wasm'), ...args]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

describe('--max-size: a body past the limit is refused at once (exit 3), not retried as a network error', () => {
  let liar: TestServer;
  beforeAll(async () => {
    liar = await startServer((req, res) => {
      if (req.url?.includes('/manifests/big')) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(manifestJson(100, 64 << 10));
      } else if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        res.end(manifestJson(100));
      } else {
        // The descriptor said 100 bytes; 16 MiB come, chunked, with no Content-Length to refuse early.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        streamBytes(res, 16 << 20);
      }
    });
  });
  afterAll(() => liar?.close());

  it('a blob larger than its descriptor and past --max-size', async () => {
    const r = await pullCli(`${liar.host}/x/lying:v1`, '--max-size', '1MiB');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/exceeds the limit of 1048576 bytes; refused/);
    expect(liar.seen.filter((s) => s.url.includes('/blobs/'))).toHaveLength(1);
  });

  it('a manifest past --max-size', async () => {
    const before = liar.seen.length;
    const r = await pullCli(`${liar.host}/x/lying:big`, '--max-size', '16KiB');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/manifests\/big: content of \d+ bytes exceeds the limit of 16384 bytes/);
    expect(liar.seen.slice(before)).toHaveLength(1);
  });
});

describe('redirects on manifest GETs: followed, and credentials stay with the registry', () => {
  let reg: RunningRegistry;
  let mirror: TestServer;
  let front: TestServer;
  const wasm = tinyModule(undefined, 'redirected');

  beforeAll(async () => {
    reg = await startRegistry();
    await pushModule(wasm, `${reg.host}/edge/redirected:v1`);
    // Another origin serving the registry's content (a CDN in front of storage): it records
    // what reaches it and relays to the real docker-registry.
    mirror = await startServer(async (req, res) => {
      const up = await fetch(`http://${reg.host}${req.url}`, { headers: { accept: req.headers.accept ?? '*/*' } });
      const body = Buffer.from(await up.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'docker-content-digest']) {
        const v = up.headers.get(h);
        if (v) headers[h] = v;
      }
      res.writeHead(up.status, headers).end(body);
    });
    // The registry proper: asks for Basic credentials, then redirects every GET to the mirror.
    front = await startServer((req, res) => {
      if (req.headers.authorization !== basicAlice) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="edge"' }).end();
        return;
      }
      res.writeHead(307, { location: `http://${mirror.host}${req.url}` }).end();
    });
  });
  afterAll(async () => {
    await front?.close();
    await mirror?.close();
    await reg?.stop();
  });

  it('pulls through redirected manifest and blob GETs, digest-checked, with no Authorization at the other origin', async () => {
    const pulled = await pullModule(`${front.host}/edge/redirected:v1`, { credentials: creds });
    expect(Buffer.from(pulled.module).equals(Buffer.from(wasm))).toBe(true);
    expect(mirror.seen.some((s) => s.url.includes('/manifests/v1'))).toBe(true);
    expect(mirror.seen.some((s) => s.url.includes('/blobs/'))).toBe(true);
    expect(mirror.seen.every((s) => s.authorization === undefined)).toBe(true);
    // The front did see the credentials: the test could have caught a leak.
    expect(front.seen.some((s) => s.authorization === basicAlice)).toBe(true);
  });
});

describe('token realms: Basic credentials never go in clear text to another host', () => {
  let tokens: TestServer;
  let sameHostTokens: TestServer;
  let front: TestServer;
  let realm = '';

  beforeAll(async () => {
    const tokenHandler = (req: { headers: { authorization?: string } }, res: import('node:http').ServerResponse) => {
      if (req.headers.authorization === basicAlice) res.writeHead(200).end('{"token":"t0ken"}');
      else res.writeHead(401).end();
    };
    // 127.0.0.2 is loopback too, but another host name than the registry's 127.0.0.1.
    tokens = await startServer(tokenHandler, '127.0.0.2');
    sameHostTokens = await startServer(tokenHandler);
    front = await startServer((req, res) => {
      if (req.headers.authorization === 'Bearer t0ken') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
        return;
      }
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="edge"` }).end();
    });
  });
  afterAll(async () => {
    await front?.close();
    await tokens?.close();
    await sameHostTokens?.close();
  });

  it('a plain-http realm on another host is asked anonymously, and the error says why', async () => {
    realm = `http://${tokens.host}/token`;
    const err = await rejection(pullModule(`${front.host}/edge/private:v1`, { credentials: creds }));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/did not send your credentials/);
    expect(tokens.seen.length).toBeGreaterThan(0);
    expect(tokens.seen.every((s) => s.authorization === undefined)).toBe(true);
    expect(err.message).not.toContain('s3cret-pw');
  });

  it('a realm on the registry host itself gets them (the same setup can observe a leak)', async () => {
    realm = `http://${sameHostTokens.host}/token`;
    const err = await rejection(pullModule(`${front.host}/edge/private:v1`, { credentials: creds }));
    // The token was granted; the manifest then does not exist.
    expect(err.kind).toBe('not-found');
    expect(sameHostTokens.seen.some((s) => s.authorization === basicAlice)).toBe(true);
  });
});
