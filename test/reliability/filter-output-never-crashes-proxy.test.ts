// Issue 14 item 1: whatever headers or status a filter produces, the proxy answers as Envoy's
// header validation does (503 for a request it cannot send upstream, 502 for a response it
// cannot send to the client), counts it, and keeps serving. Real client -> proxy on 127.0.0.1 ->
// real upstream; the filter is C compiled by clang (test/fixtures/c/bad_output.c).
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';

let up: TestUpstream;
let proxy: RunningProxy;
const events: string[] = [];

beforeAll(async () => {
  up = await startUpstream();
  const module = await compileFixture('c/bad_output.c');
  proxy = await startProxy({
    upstream: up.url,
    filters: [{ kind: 'wasm', name: 'bad-output', module, failStrategy: 'FAIL_OPEN' }],
    onEvent: (m) => events.push(m),
  });
});
afterAll(async () => {
  await proxy?.close();
  await up?.close();
});

/** A raw HTTP/1.1 GET with node:http, so the test sees exactly the status line and headers sent. */
function get(
  path: string,
  xcase: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${proxy.url}${path}`, { headers: { 'x-case': xcase } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('a filter that produces what no codec can send never crashes the proxy', () => {
  it.each(['reply-0', 'reply-99', 'reply-1000', 'reply-99999'])(
    'a local reply with an impossible status (%s) becomes 502 and the proxy keeps serving',
    async (xcase) => {
      const before = proxy.stats.invalidFilterOutput;
      const r = await get('/x', xcase);
      expect(r.status).toBe(502);
      expect(r.body).toMatch(/invalid :status/);
      expect(proxy.stats.invalidFilterOutput).toBe(before + 1);
      expect((await get('/after', 'none')).status).toBe(200);
    },
  );

  it.each([
    ['status-abc', /invalid :status "abc"/],
    ['resp-name-space', /invalid response header name "x bad"/],
    ['resp-name-empty', /invalid response header name ""/],
    ['resp-name-ctl', /invalid response header name/],
    ['resp-value-crlf', /invalid value of response header "x-inject"/],
  ])(
    'a response the filter made unsendable (%s) becomes 502, nothing injected reaches the client',
    async (xcase, why) => {
      const r = await get('/x', xcase);
      expect(r.status).toBe(502);
      expect(r.body).toMatch(why);
      expect(r.headers['set-cookie']).toBeUndefined();
      expect(r.headers['x-inject']).toBeUndefined();
    },
  );

  it.each([
    ['req-name-space', /invalid request header name "x bad"/],
    ['req-value-crlf', /invalid value of request header "x-inject"/],
    ['method', /invalid :method "G T"/],
    ['path', /invalid :path "\/a b"/],
    ['authority', /invalid :authority/],
  ])(
    "a request the filter made unsendable (%s) is answered 503 as Envoy's router does and never reaches the upstream",
    async (xcase, why) => {
      const seen = up.seen.length;
      const r = await get(`/req-${xcase}`, xcase);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(why);
      expect(up.seen.length).toBe(seen);
    },
  );

  it('counted every refusal, reported each one, and no exception escaped', async () => {
    expect(proxy.stats.invalidFilterOutput).toBe(14);
    expect(proxy.stats.internalErrors).toBe(0);
    expect(events.filter((e) => /answered 50[23]/.test(e))).toHaveLength(14);
    const r = await get('/still-up', 'none');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).path).toBe('/still-up');
  });
});
