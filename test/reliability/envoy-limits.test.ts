// Issue 14 item 9: Envoy's limits and answers where the proxy had none: more request headers than
// max_headers_count (431), the stream idle and request timeouts (a filter that never resumes no
// longer hangs the client), per-cluster circuit breakers (503 overflow, counted), and a trap in
// proxy_on_tick logged and counted. Real client -> proxy on 127.0.0.1 -> real upstream.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PENDING_REQUESTS } from '../../proxy/circuit-breaker.js';
import { startProxy, type AccessLogEntry, type RunningProxy } from '../../proxy/index.js';
import { DEFAULT_MAX_HEADERS_COUNT } from '../../proxy/server.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STREAM_IDLE_TIMEOUT_MS } from '../../proxy/stream-timers.js';
import { compileFixture } from '../fixtures/compile.js';
import { gate, startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { until } from './helpers.js';

let up: TestUpstream;
const running: RunningProxy[] = [];
/** Lets the test hold the upstream's answers to /held until it opens the gate. */
let release = gate();

beforeAll(async () => {
  up = await startUpstream(async (req, res, body) => {
    await body();
    if (req.url === '/held') await release.promise;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
afterAll(async () => {
  release.open();
  for (const p of running) await p.close();
  await up?.close();
});

async function proxy(opts: Partial<Parameters<typeof startProxy>[0]>): Promise<RunningProxy> {
  const p = await startProxy({ upstream: up.url, ...opts });
  running.push(p);
  return p;
}

/** A raw request with `n` extra headers (fetch would refuse nothing, but this shows the exact answer). */
function withHeaders(p: RunningProxy, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(p.port, '127.0.0.1', () => {
      const extra = Array.from({ length: n }, (_, i) => `x-h-${i}: ${i}\r\n`).join('');
      s.write(`GET /many HTTP/1.1\r\nhost: a\r\n${extra}connection: close\r\n\r\n`);
    });
    let data = '';
    s.on('data', (c) => (data += c));
    s.on('error', reject);
    s.on('end', () => resolve(data));
  });
}

describe("Envoy's limits and answers", () => {
  it("uses Envoy's defaults", () => {
    expect(DEFAULT_MAX_HEADERS_COUNT).toBe(100);
    expect(DEFAULT_STREAM_IDLE_TIMEOUT_MS).toBe(300_000);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(0);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(1024);
    expect(DEFAULT_MAX_PENDING_REQUESTS).toBe(1024);
  });

  it('answers 431 to a request with more than 100 headers, and passes one with 100', async () => {
    const p = await proxy({});
    const many = await withHeaders(p, 99); // + host, connection = 101
    expect(many).toMatch(/^HTTP\/1\.1 431 /);
    expect(p.stats.tooManyHeaders).toBe(1);
    const seen = up.seen.length;
    const fine = await withHeaders(p, 98); // + host, connection = 100
    expect(fine).toMatch(/^HTTP\/1\.1 200 /);
    expect(up.seen.length).toBe(seen + 1);
  });

  it('ends a stream a filter holds forever with 408 once it has been idle past stream_idle_timeout', async () => {
    const log: AccessLogEntry[] = [];
    const module = await compileFixture('wat/hold.wat');
    const p = await proxy({
      timeouts: { streamIdleTimeoutMs: 300 },
      filters: [{ kind: 'wasm', name: 'hold', module, configuration: 'r' }],
      onAccessLog: (e) => log.push(e),
    });
    const res = await fetch(`${p.url}/hold`);
    expect(res.status).toBe(408);
    expect(await res.text()).toBe('stream timeout');
    expect(log[0]!.localReply).toBe('stream_idle_timeout');
    expect(p.stats.streamIdleTimeouts).toBe(1);
  });

  it('answers 408 request timeout when the request has not gone upstream within request_timeout', async () => {
    const module = await compileFixture('wat/hold.wat');
    const p = await proxy({
      timeouts: { requestTimeoutMs: 300 },
      filters: [{ kind: 'wasm', name: 'hold', module, configuration: 'r' }],
    });
    const res = await fetch(`${p.url}/hold`);
    expect(res.status).toBe(408);
    expect(await res.text()).toBe('request timeout');
    expect(p.stats.requestTimeouts).toBe(1);
  });

  it('caps connections and pending requests per cluster: past both, 503 overflow, counted', async () => {
    release = gate();
    const p = await proxy({ circuitBreakers: { maxConnections: 1, maxPendingRequests: 1 } });
    const first = fetch(`${p.url}/held`);
    const second = fetch(`${p.url}/held`);
    await until(() => up.seen.filter((r) => r.url === '/held').length >= 1, 'the first held request upstream');
    const third = await fetch(`${p.url}/held`);
    expect(third.status).toBe(503);
    expect(await third.text()).toBe(
      'upstream connect error or disconnect/reset before headers. reset reason: overflow',
    );
    expect(p.stats.upstreamOverflow).toBe(1);
    release.open();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // Slots are given back: the cluster takes requests again.
    expect((await fetch(`${p.url}/after`)).status).toBe(200);
  });

  it('logs and counts a trap in proxy_on_tick', async () => {
    const events: string[] = [];
    // trap-selectable.wat: a configuration of 11 bytes traps in proxy_on_tick (period 1000 ms).
    const module = await compileFixture('wat/trap-selectable.wat');
    const p = await proxy({
      filters: [{ kind: 'wasm', name: 'ticker', module, configuration: 'x'.repeat(11), failStrategy: 'FAIL_OPEN' }],
      onEvent: (m) => events.push(m),
    });
    await until(() => p.stats.tickTraps === 1, 'the tick trap');
    expect(events.filter((e) => e.includes('trapped in proxy_on_tick'))).toHaveLength(1);
    expect(p.stats.traps).toBe(1);
    expect((await fetch(`${p.url}/ticked`)).status).toBe(200);
  });
});
