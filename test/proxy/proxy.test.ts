// The host simulator as a real HTTP/1.1 proxy: real client -> proxy on 127.0.0.1 -> real upstream,
// with hand-written WAT filters (test/proxy/fixtures) built by wat2wasm.
import * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { watModule } from './helpers/modules.js';
import { gate, startUpstream, type TestUpstream } from './helpers/upstream.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function upstream(handler?: Parameters<typeof startUpstream>[0]): Promise<TestUpstream> {
  const u = await startUpstream(handler);
  cleanup.push(() => u.close());
  return u;
}
async function proxy(opts: Parameters<typeof startProxy>[0]): Promise<RunningProxy> {
  const p = await startProxy(opts);
  cleanup.push(() => p.close());
  return p;
}
const tagger = (tag: string, failStrategy?: 'FAIL_CLOSE' | 'FAIL_OPEN' | 'FAIL_RELOAD') => ({
  kind: 'wasm' as const,
  name: 'tagger',
  module: watModule('tagger'),
  configuration: tag,
  failStrategy,
});

/** Resolves once `cond` holds, checking on every turn of the event loop (no timing assumption). */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 5));
}

describe('meshwasm proxy over real HTTP on 127.0.0.1', () => {
  it('runs the chain on real requests: the upstream sees the added header, the client the response header', async () => {
    const up = await upstream();
    const p = await proxy({ upstream: up.url, filters: [tagger('v1')] });
    const res = await fetch(`${p.url}/hello?x=1`, { headers: { 'x-user': 'ann' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('v1');
    expect(await res.json()).toEqual({ path: '/hello?x=1', body: '' });
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]!.headers['x-filter-version']).toBe('v1');
    expect(up.seen[0]!.headers['x-user']).toBe('ann');
    // Envoy's connection manager stamps these; the Host header is the client's :authority.
    expect(up.seen[0]!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(up.seen[0]!.headers.host).toBe(new URL(p.url).host);
  });

  it('answers locally from proxy_http_call to a real cluster: allowed requests pass, denied ones never reach the upstream', async () => {
    const up = await upstream();
    const authz = await upstream((req, res) => {
      const ok = (req.url ?? '').startsWith('/public');
      res.writeHead(ok ? 200 : 403, { 'content-length': '0' });
      res.end();
    });
    const p = await proxy({
      upstream: up.url,
      clusters: { authz: authz.url },
      filters: [{ kind: 'wasm', name: 'authz', module: watModule('authz-call') }],
    });

    const allowed = await fetch(`${p.url}/public/a`);
    expect(allowed.status).toBe(200);
    expect((await allowed.json()).path).toBe('/public/a');

    const denied = await fetch(`${p.url}/private/b`, { method: 'POST', body: 'secret' });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toBe('denied by authz');
    expect(up.seen.map((r) => r.url)).toEqual(['/public/a']);
    // The authz service saw the request's own headers, sent by the filter.
    expect(authz.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /public/a', 'POST /private/b']);
    expect(p.stats.localReplies).toBe(1);
  });

  it('gives every filter of the chain its access-log call, also one after a filter that answered locally (as Envoy)', async () => {
    const up = await upstream();
    const authz = await upstream((req, res) => {
      res.writeHead((req.url ?? '').startsWith('/public') ? 200 : 403, { 'content-length': '0' });
      res.end();
    });
    const p = await proxy({
      upstream: up.url,
      clusters: { authz: authz.url },
      filters: [
        { kind: 'wasm', name: 'authz', module: watModule('authz-call') },
        { kind: 'wasm', name: 'counter', module: watModule('access-counter') },
      ],
    });
    expect((await fetch(`${p.url}/private`)).status).toBe(403);
    expect((await fetch(`${p.url}/public`)).status).toBe(200);
    expect(p.host.metrics.lookup('access_logged')!.value).toBe(2);
  });

  it('streams request and response bodies chunk by chunk through the filter (no whole-body buffering)', async () => {
    const firstChunkArrived = gate();
    const releaseSecondResponseChunk = gate();
    const received: string[] = [];
    const up = await upstream((req, res) => {
      req.on('data', (c: Buffer) => {
        received.push(c.toString());
        if (received.length === 1) firstChunkArrived.open();
      });
      req.on('end', async () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part one;');
        await releaseSecondResponseChunk.promise;
        res.end('part two');
      });
    });
    const p = await proxy({ upstream: up.url, filters: [tagger('v1')] });

    const clientGotFirstPart = gate<string>();
    const done = new Promise<string>((resolve, reject) => {
      const req = http.request(
        `${p.url}/upload`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
            if (text === 'part one;') clientGotFirstPart.open(text);
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.write('hello ');
      // The second chunk is only written once the upstream holds the first one: a proxy that
      // buffered the whole body would never get here.
      void firstChunkArrived.promise.then(() => req.end('world'));
    });
    // Likewise the upstream only finishes once the client has seen the first response part.
    expect(await clientGotFirstPart.promise).toBe('part one;');
    releaseSecondResponseChunk.open();
    expect(await done).toBe('part one;part two');
    expect(received.join('')).toBe('HELLO WORLD');
    expect(received[0]).toBe('HELLO ');
    expect(p.host.metrics.lookup('tagger_body_chunks')!.value).toBeGreaterThanOrEqual(2);
  });

  it('FAIL_CLOSE: a trap answers 503 and the failed VM keeps answering 503; FAIL_OPEN: requests pass without the filter', async () => {
    const up = await upstream();
    const closed = await proxy({ upstream: up.url, filters: [tagger('v1', 'FAIL_CLOSE')] });
    const trapped = await fetch(closed.url, { headers: { 'x-trap': '1' } });
    expect(trapped.status).toBe(503);
    expect((await fetch(closed.url)).status).toBe(503);
    expect(closed.stats.traps).toBe(1);
    expect(up.seen).toHaveLength(0);
    const trapInfo = closed.chain().filters[0]!.failed as { callback: string; function?: string };
    expect(trapInfo.callback).toBe('proxy_on_request_headers');

    const open = await proxy({ upstream: up.url, filters: [tagger('v1', 'FAIL_OPEN')] });
    const passed = await fetch(open.url, { headers: { 'x-trap': '1' } });
    expect(passed.status).toBe(200);
    expect(passed.headers.get('x-served-by')).toBeNull();
    expect((await fetch(open.url)).status).toBe(200);
    expect(up.seen).toHaveLength(2);
    expect(up.seen.every((r) => r.headers['x-filter-version'] === undefined)).toBe(true);
  });

  it('FAIL_RELOAD: the request that trapped gets 503, the next one runs on a fresh VM', async () => {
    const up = await upstream();
    const p = await proxy({ upstream: up.url, filters: [tagger('v1', 'FAIL_RELOAD')] });
    expect((await fetch(p.url, { headers: { 'x-trap': '1' } })).status).toBe(503);
    const next = await fetch(p.url);
    expect(next.status).toBe(200);
    expect(next.headers.get('x-served-by')).toBe('v1');
    expect(p.chain().filters[0]!.reloads).toBe(1);
  });

  it('hot-swaps a new version: an in-flight slow request finishes on the old VM, new requests get the new one', async () => {
    const holdFirst = gate();
    const up = await upstream(async (req, res) => {
      if (req.url === '/slow') await holdFirst.promise;
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    });
    const p = await proxy({ upstream: up.url, filters: [tagger('v1')] });
    const slow = fetch(`${p.url}/slow`);
    await until(() => up.seen.length === 1);
    expect(up.seen[0]!.headers['x-filter-version']).toBe('v1');

    p.applyFilters([tagger('v2')], 'v2');
    const fresh = await fetch(`${p.url}/fresh`);
    expect(fresh.headers.get('x-served-by')).toBe('v2');
    expect(up.seen[1]!.headers['x-filter-version']).toBe('v2');

    holdFirst.open();
    const old = await slow;
    expect(old.status).toBe(200);
    expect(await old.text()).toBe('ok');
    // Its response callbacks ran on the VM that saw its request.
    expect(old.headers.get('x-served-by')).toBe('v1');
    expect(p.chain().version).toBe('v2');
  });

  it('never goes down on a bad module: the update is refused and the previous chain keeps serving', async () => {
    const up = await upstream();
    const p = await proxy({ upstream: up.url, filters: [tagger('v1')] });
    expect(() =>
      p.applyFilters(
        [{ kind: 'wasm', name: 'broken', module: new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]) }],
        'v2',
      ),
    ).toThrow(/filter "broken"/);
    const res = await fetch(p.url);
    expect(res.headers.get('x-served-by')).toBe('v1');
    expect(p.chain().version).toBe('local-1');
  });

  it('rejects local modules that fail at start-up with an error naming the filter', async () => {
    const up = await upstream();
    await expect(
      startProxy({ upstream: up.url, filters: [{ kind: 'wasm', name: 'junk', module: new Uint8Array([1, 2, 3]) }] }),
    ).rejects.toThrow(/proxy: filter "junk"/);
  });

  it('drives proxy_on_tick from the real clock', async () => {
    const up = await upstream();
    const p = await proxy({ upstream: up.url, filters: [tagger('v1')] });
    await until(() => (p.host.metrics.lookup('tagger_ticks')?.value ?? 0) >= 3);
    expect(p.host.metrics.lookup('tagger_ticks')!.value).toBeGreaterThanOrEqual(3);
  });

  it('answers 503 as Envoy does when the upstream refuses connections', async () => {
    const gone = await startUpstream();
    await gone.close();
    const p = await proxy({ upstream: gone.url, filters: [tagger('v1')] });
    const res = await fetch(p.url);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/^upstream connect error or disconnect\/reset before headers/);
    // The response still ran through the filter's response path.
    expect(res.headers.get('x-served-by')).toBe('v1');
    expect(p.stats.upstreamFailures).toBe(1);
  });

  it('routes on a header after the filters ran (Envoy cluster_header): the named cluster gets the request', async () => {
    const stable = await upstream();
    const canary = await upstream();
    const p = await proxy({
      upstream: stable.url,
      clusters: { canary: canary.url },
      routeHeader: 'x-filter-version',
      filters: [tagger('canary')],
    });
    expect((await fetch(`${p.url}/a`)).status).toBe(200);
    expect(canary.seen.map((r) => r.url)).toEqual(['/a']);
    expect(stable.seen).toHaveLength(0);

    // A header naming no cluster: 503, as Envoy answers cluster_not_found.
    const q = await proxy({
      upstream: stable.url,
      clusters: { canary: canary.url },
      routeHeader: 'x-filter-version',
      filters: [tagger('nowhere')],
    });
    const res = await fetch(`${q.url}/b`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('no cluster named "nowhere"');
    // Without the header, requests go to --upstream.
    const r = await proxy({ upstream: stable.url, clusters: { canary: canary.url }, routeHeader: 'x-side' });
    expect((await fetch(`${r.url}/c`)).status).toBe(200);
    expect(stable.seen.map((x) => x.url)).toEqual(['/c']);
  });

  it('runs a C filter (clang, wasm32-wasi): request attributes come from the real connection', async () => {
    const up = await upstream();
    const module = await compileFixture('c/properties.c');
    const p = await proxy({ upstream: up.url, filters: [{ kind: 'wasm', name: 'props', module }] });
    const res = await fetch(`${p.url}/attrs?q=1`);
    expect(res.status).toBe(200);
    const h = up.seen[0]!.headers;
    expect(h['x-prop-path']).toBe('/attrs?q=1');
    // The client's real address and port on 127.0.0.1, not a simulated default.
    expect(h['x-prop-source']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(h['x-prop-source']).not.toBe('127.0.0.1:0');
    expect(h['x-prop-plugin-name']).toBe('props');
  });

  it('answers 504 when the upstream does not answer within the route timeout, through the filters', async () => {
    const never = gate();
    const up = await upstream(async (_req, res) => {
      await never.promise;
      res.end();
    });
    const p = await proxy({ upstream: up.url, timeoutMs: 50, filters: [tagger('v1')] });
    const res = await fetch(p.url);
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('upstream request timeout');
    expect(res.headers.get('x-served-by')).toBe('v1');
    expect(p.stats.upstreamTimeouts).toBe(1);
    never.open();
  });

  it('serves /stats and /ready on the admin listener', async () => {
    const up = await upstream();
    const p = await proxy({ upstream: up.url, filters: [tagger('v1')], adminPort: 0 });
    await fetch(p.url);
    const ready = await fetch(`${p.adminUrl}/ready`);
    expect(ready.status).toBe(200);
    const stats = await (await fetch(`${p.adminUrl}/stats`)).json();
    expect(stats.proxy.requests).toBe(1);
    expect(stats.proxy.responses['2xx']).toBe(1);
    expect(stats.chain.filters[0].name).toBe('tagger');
    expect(stats.metrics.tagger_body_chunks).toBe(0);
  });

  it('closes gracefully: an in-flight request completes, then the listener is gone', async () => {
    const hold = gate();
    const up = await upstream(async (_req, res) => {
      await hold.promise;
      res.end('late');
    });
    const p = await startProxy({ upstream: up.url, filters: [tagger('v1')] });
    const inflight = fetch(p.url);
    await until(() => up.seen.length === 1);
    const closed = p.close();
    hold.open();
    const res = await inflight;
    expect(await res.text()).toBe('late');
    await closed;
    await expect(fetch(p.url)).rejects.toThrow();
  });
});
