import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget, pullModule, pushModule, RegistryError, sha256Hex } from '../../registry/index.js';
import { startRegistry, type RunningRegistry } from './helpers/docker-registry.js';
import { startFaultProxy } from './helpers/fault-proxy.js';
import { tinyModule } from './helpers/wasm-fixture.js';
import { rejection, useOpenRegistry } from './helpers/suite.js';

const suite = useOpenRegistry('transport');

describe('upload paths against a real docker-registry', () => {
  it('uploads in PATCH chunks when a blob is larger than the chunk size', async () => {
    const proxy = await startFaultProxy(suite.reg.host, () => 'pass');
    try {
      const wasm = tinyModule(undefined, 'x'.repeat(300));
      await pushModule(wasm, `${proxy.host}/transport/chunked:v1`, { upload: { chunkSize: 64 } });
      const patches = proxy.seen.filter((s) => s.method === 'PATCH').length;
      expect(patches).toBeGreaterThanOrEqual(Math.ceil(wasm.byteLength / 64));
      const back = await pullModule(`${suite.reg.host}/transport/chunked:v1`);
      expect(back.moduleSha256).toBe(sha256Hex(wasm));
    } finally {
      await proxy.stop();
    }
  });

  it('mounts blobs from another repository instead of uploading them', async () => {
    const wasm = tinyModule(undefined, 'mount');
    await pushModule(wasm, `${suite.reg.host}/transport/source:v1`);
    const proxy = await startFaultProxy(suite.reg.host, () => 'pass');
    try {
      const r = await pushModule(wasm, `${proxy.host}/transport/target:v1`, {
        upload: { mountFrom: 'transport/source' },
      });
      expect(r.uploaded).toHaveLength(2);
      expect(proxy.seen.filter((s) => s.method === 'POST' && s.path.includes('mount='))).toHaveLength(2);
      expect(proxy.seen.filter((s) => s.method === 'PUT' && s.path.includes('/blobs/'))).toHaveLength(0);
      expect((await pullModule(`${suite.reg.host}/transport/target:v1`)).moduleSha256).toBe(sha256Hex(wasm));
    } finally {
      await proxy.stop();
    }
  });

  it('lists tags', async () => {
    const wasm = tinyModule(undefined, 'tags');
    for (const t of ['v2', 'v1', 'latest']) await pushModule(wasm, `${suite.reg.host}/transport/tags:${t}`);
    expect(await openTarget(`${suite.reg.host}/transport/tags:v1`).target.tags()).toEqual(['latest', 'v1', 'v2']);
  });
});

describe('TLS: a real docker-registry serving a self-signed certificate on 127.0.0.1', () => {
  let tlsReg: RunningRegistry;
  beforeAll(async () => {
    const key = join(suite.home, 'tls.key');
    const certificate = join(suite.home, 'tls.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        certificate,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    tlsReg = await startRegistry({ kind: 'none' }, { certificate, key });
  });
  afterAll(() => tlsReg?.stop());

  it('verifies certificates by default and says how to proceed; --insecure accepts it', async () => {
    const wasm = tinyModule(undefined, 'tls');
    const err = await rejection(pushModule(wasm, `${tlsReg.host}/tls/f:v1`, { retry: { attempts: 1 } }));
    expect(err.kind).toBe('remote');
    expect(err.message).toContain('TLS certificate');
    expect(err.message).toContain('--insecure');
    const pushed = await pushModule(wasm, `${tlsReg.host}/tls/f:v1`, { insecure: true });
    const pulled = await pullModule(`${tlsReg.host}/tls/f:v1`, { insecure: true });
    expect(pulled.manifestDigest).toBe(pushed.manifestDigest);
  });

  it('--plain-http against a TLS registry is not silently upgraded', async () => {
    const err = await rejection(pullModule(`${tlsReg.host}/tls/f:v1`, { plainHttp: true, retry: { attempts: 1 } }));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toContain('400');
  });
});
