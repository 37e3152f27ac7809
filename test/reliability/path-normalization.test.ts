// Issue 14 item 6: :path is normalized before any filter sees it (Istio's
// meshConfig.pathNormalization), so the real authz filter allowing only /public cannot be walked
// around with dot segments or their percent-encoded form. Real client -> proxy -> real upstream.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizePath } from '../../proxy/path-normalization.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { authzModule } from './helpers.js';

const config = JSON.stringify({
  defaultAction: 'deny',
  rules: [{ name: 'public', match: { path: { prefix: '/public/' } }, action: 'allow' }],
});

let up: TestUpstream;
const proxies: Record<string, RunningProxy> = {};

beforeAll(async () => {
  up = await startUpstream();
  const module = await authzModule();
  for (const mode of ['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES', 'NONE'] as const) {
    proxies[mode] = await startProxy({
      upstream: up.url,
      pathNormalization: mode === 'BASE' ? undefined : mode, // BASE is the default
      filters: [{ kind: 'wasm', name: 'authz', module, configuration: config }],
    });
  }
}, 120_000);
afterAll(async () => {
  for (const p of Object.values(proxies)) await p.close();
  await up?.close();
});

/**
 * Sends the request target byte for byte over a raw socket (fetch and node:http would resolve the
 * dot segments themselves), returns the status and what path the upstream saw, if any.
 */
function send(p: RunningProxy, target: string): Promise<{ status: number; upstreamPath?: string }> {
  const seen = up.seen.length;
  return new Promise((resolve, reject) => {
    const s = net.connect(p.port, '127.0.0.1', () => {
      s.write(`GET ${target} HTTP/1.1\r\nhost: shop\r\nconnection: close\r\n\r\n`);
    });
    let data = '';
    s.on('data', (c) => (data += c));
    s.on('error', reject);
    s.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, upstreamPath: up.seen[seen]?.url });
    });
  });
}

describe('paths are normalized before the filters see them', () => {
  it.each([
    '/public/../orders',
    '/public/%2e%2e/orders',
    '/public/%2E%2E/orders',

    '/public\\..\\orders',
  ])('BASE (the default): %s is /orders to authz and is denied; the upstream never sees it', async (target) => {
    const r = await send(proxies.BASE!, target);
    expect(r.status).toBe(403);
    expect(r.upstreamPath).toBeUndefined();
  });

  it('BASE: an allowed path reaches the upstream normalized, query untouched', async () => {
    const r = await send(proxies.BASE!, '/public/a/./b/%7Euser?next=/../x');
    expect(r.status).toBe(200);
    expect(r.upstreamPath).toBe('/public/a/b/~user?next=/../x');
  });

  it('MERGE_SLASHES: "//" collapses as well', async () => {
    const r = await send(proxies.MERGE_SLASHES!, '/public//a///b');
    expect(r.status).toBe(200);
    expect(r.upstreamPath).toBe('/public/a/b');
  });

  it('DECODE_AND_MERGE_SLASHES: escaped slashes are decoded first, so %2F.. cannot hide a dot segment', async () => {
    expect((await send(proxies.DECODE_AND_MERGE_SLASHES!, '/public%2F..%2Forders')).status).toBe(403);
    const r = await send(proxies.DECODE_AND_MERGE_SLASHES!, '/public%2Fa%5Cb');
    expect(r.status).toBe(200);
    expect(r.upstreamPath).toBe('/public/a/b');
  });

  it('NONE: the path goes through as sent (why it is not the default)', async () => {
    const r = await send(proxies.NONE!, '/public/../orders');
    expect(r.status).toBe(200);
    expect(r.upstreamPath).toBe('/public/../orders');
  });

  it.each([
    ['/a/b/..', '/a/'],
    ['/..', '/'],
    ['/a/./b/.', '/a/b/'],
    ['/a%41%2fb', '/aA%2fb'],
    ['/a b', '/a%20b'],
    ['//a//b/', '//a//b/'],
  ])('BASE normalizes %s to %s (RFC 3986 5.2.4, unreserved escapes decoded)', (input, out) => {
    expect(normalizePath(input, 'BASE')).toBe(out);
  });
});
