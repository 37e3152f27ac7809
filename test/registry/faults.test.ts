import { describe, expect, it } from 'vitest';
import { pullModule, pushModule } from '../../registry/index.js';
import { startFaultProxy, type Fault } from './helpers/fault-proxy.js';
import { tinyModule } from './helpers/wasm-fixture.js';
import { rejection, useOpenRegistry } from './helpers/suite.js';

const fast = { retry: { attempts: 3, baseDelayMs: 1 } };

const suite = useOpenRegistry('faults');

/** Asks the real registry (not the proxy) whether a tag exists. */
async function tagExists(repo: string, tag: string): Promise<boolean> {
  const res = await fetch(`http://${suite.reg.host}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return res.status === 200;
}

const isBlobPut = (method?: string, url?: string) => method === 'PUT' && /\/blobs\/uploads\//.test(url ?? '');

describe('faults injected by a proxy in front of a real docker-registry', () => {
  it('retries 503 answers to a blob upload and then succeeds', async () => {
    let failures = 2;
    const proxy = await startFaultProxy(
      suite.reg.host,
      (req): Fault => (isBlobPut(req.method, req.url) && failures-- > 0 ? { status: 503 } : 'pass'),
    );
    try {
      const pushed = await pushModule(tinyModule(undefined, 'retry-503'), `${proxy.host}/faults/retry:v1`, fast);
      expect(proxy.seen.filter((s) => s.fault === '503')).toHaveLength(2);
      expect(await tagExists('faults/retry', 'v1')).toBe(true);
      expect(pushed.uploaded).toHaveLength(2);
    } finally {
      await proxy.stop();
    }
  });

  it('a connection reset mid-upload restarts the upload session and succeeds', async () => {
    let resets = 1;
    const proxy = await startFaultProxy(
      suite.reg.host,
      (req): Fault => (isBlobPut(req.method, req.url) && resets-- > 0 ? 'reset' : 'pass'),
    );
    try {
      const wasm = tinyModule(undefined, 'reset-once');
      await pushModule(wasm, `${proxy.host}/faults/reset-once:v1`, fast);
      expect(proxy.seen.filter((s) => s.fault === 'reset')).toHaveLength(1);
      const back = await pullModule(`${suite.reg.host}/faults/reset-once:v1`);
      expect(Buffer.from(back.module).equals(Buffer.from(wasm))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it('resets on every upload: a clear remote error after the retries, and no manifest on the registry', async () => {
    const proxy = await startFaultProxy(
      suite.reg.host,
      (req): Fault => (isBlobPut(req.method, req.url) ? 'reset' : 'pass'),
    );
    try {
      const err = await rejection(
        pushModule(tinyModule(undefined, 'reset-always'), `${proxy.host}/faults/broken:v1`, fast),
      );
      expect(err.kind).toBe('remote');
      expect(err.message).toMatch(/connection to 127\.0\.0\.1:\d+ failed \((ECONNRESET|EPIPE)/);
      expect(err.message).toContain('after 3 attempts');
      expect(proxy.seen.filter((s) => s.fault === 'reset')).toHaveLength(3);
      expect(proxy.seen.some((s) => s.method === 'PUT' && s.path.includes('/manifests/'))).toBe(false);
      expect(await tagExists('faults/broken', 'v1')).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it('a registry that keeps answering 500 ends in a remote error naming the status', async () => {
    const proxy = await startFaultProxy(
      suite.reg.host,
      (req): Fault => (req.url?.includes('/manifests/') ? { status: 500 } : 'pass'),
    );
    try {
      await pushModule(tinyModule(undefined, 'five-hundred'), `${suite.reg.host}/faults/down:v1`);
      const err = await rejection(pullModule(`${proxy.host}/faults/down:v1`, fast));
      expect(err.kind).toBe('remote');
      expect(err.status).toBe(500);
      expect(err.message).toContain('answered 500');
      expect(err.message).toContain('after 3 attempts');
      expect(proxy.seen.filter((s) => s.fault === '500')).toHaveLength(3);
    } finally {
      await proxy.stop();
    }
  });

  it('a 403 (an account without rights, as a proxy or registry policy answers) is an auth error with a login hint', async () => {
    const proxy = await startFaultProxy(
      suite.reg.host,
      (req): Fault => (req.method === 'POST' ? { status: 403 } : 'pass'),
    );
    try {
      const err = await rejection(
        pushModule(tinyModule(undefined, 'forbidden'), `${proxy.host}/faults/forbidden:v1`, fast),
      );
      expect(err.kind).toBe('auth');
      expect(err.status).toBe(403);
      expect(err.message).toBe(
        `push: registry ${proxy.host} answered 403 for repository "faults/forbidden"; run "meshwasm login ${proxy.host}" or pass --username`,
      );
      expect(await tagExists('faults/forbidden', 'v1')).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it('a registry that is not listening is reported as unreachable', async () => {
    const proxy = await startFaultProxy(suite.reg.host, () => 'pass');
    const host = proxy.host;
    await proxy.stop();
    const err = await rejection(pullModule(`${host}/faults/none:v1`, fast));
    expect(err.kind).toBe('remote');
    expect(err.message).toContain('ECONNREFUSED');
  });
});
