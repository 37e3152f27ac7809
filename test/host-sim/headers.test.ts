// Header and trailer maps from a C filter, checked against Envoy's behaviour (context.cc):
// keys lower-cased on add, the first value for a repeated key, NotFound for a missing key,
// replace adds when absent, remove of an absent key is OK, set_pairs replaces the whole map.
import { describe, expect, it } from 'vitest';
import { encodePairs } from '../../host-sim/index.js';
import { fixtureHarness, get } from './fixture-harness.js';

describe('request headers (c/headers.c)', () => {
  const request = () =>
    [
      [':method', 'GET'],
      [':path', '/items?id=7'],
      [':authority', 'example.com'],
      ['x-multi', 'first'],
      ['x-multi', 'second'],
      ['x-replace-me', 'old'],
      ['x-remove-me', 'bye'],
    ] as [string, string][];

  it('reads values and applies add / replace / remove as the upstream sees them', async () => {
    const h = await fixtureHarness('c/headers.c');
    const r = await h.request({ headers: request() });
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-seen-path')).toBe('/items?id=7');
    expect(r.upstreamHeader('x-multi-first')).toBe('first');
    expect(r.upstreamHeader('x-replace-me')).toBe('replaced');
    expect(r.upstream.headers.filter(([k]) => k === 'x-replace-me')).toHaveLength(1);
    expect(r.upstreamHeader('x-replace-new')).toBe('added-by-replace');
    expect(r.upstreamHeader('x-remove-me')).toBeUndefined();
    // Both values of a repeated key survive; get returns the first only.
    expect(r.upstream.headers.filter(([k]) => k === 'x-multi').map(([, v]) => v)).toEqual(['first', 'second']);
  });

  it("lower-cases keys on add, as Envoy's LowerCaseString does", async () => {
    const h = await fixtureHarness('c/headers.c');
    const r = await h.request({ headers: request() });
    expect(r.upstream.headers).toContainEqual(['x-added-by', 'c']);
    expect(r.upstream.headers.some(([k]) => k === 'X-Added-By')).toBe(false);
  });

  it('answers NotFound (1) for a missing key, OK (0) for removing an absent key, BadArgument (2) for an unknown map', async () => {
    const h = await fixtureHarness('c/headers.c');
    const r = await h.request({ headers: request() });
    expect(r.upstreamHeader('x-status-missing')).toBe('1');
    expect(r.upstreamHeader('x-status-remove-absent')).toBe('0');
    expect(r.upstreamHeader('x-status-bad-map')).toBe('2');
  });

  it('passes num_headers and end_of_stream to proxy_on_request_headers', async () => {
    const h = await fixtureHarness('c/headers.c');
    const noBody = await h.request({ headers: request() });
    expect(noBody.upstreamHeader('x-num-headers')).toBe(String(request().length));
    expect(noBody.upstreamHeader('x-end-of-stream')).toBe('1');
    const withBody = await h.request({ headers: request(), body: 'abc' });
    expect(withBody.upstreamHeader('x-end-of-stream')).toBe('0');
  });

  it('serializes pairs in the wire format, in order, the first pair being :method', async () => {
    const h = await fixtureHarness('c/headers.c');
    const r = await h.request({ headers: request() });
    // Counted after the filter's own adds so far: what the map held when it asked.
    const seen = r.upstream.headers.filter(
      ([k]) => !['x-pair-count', 'x-pairs-bytes', 'x-map-size', 'x-first-key'].includes(k),
    );
    expect(r.upstreamHeader('x-pair-count')).toBe(String(seen.length));
    expect(r.upstreamHeader('x-pairs-bytes')).toBe(String(encodePairs(seen).length));
    expect(r.upstreamHeader('x-first-key')).toBe(':method');
    // Envoy's get_header_map_size is HeaderMap::byteSize(): key and value bytes, no framing.
    expect(r.upstreamHeader('x-map-size')).toBe(String(seen.reduce((n, [k, v]) => n + k.length + v.length, 0)));
  });

  it('replaces the whole map with proxy_set_header_map_pairs', async () => {
    const h = await fixtureHarness('c/headers.c');
    const r = await h.request({ headers: { ...get('/original'), 'x-set-pairs': '1', 'x-keep-me': 'no' } });
    expect(r.upstream.headers).toEqual([
      [':method', 'GET'],
      [':path', '/replaced'],
      [':authority', 'set.example'],
      ['x-only', '1'],
      ['x-status-set-pairs', '0'],
    ]);
  });
});

describe('trailers and response headers (c/headers.c)', () => {
  it('reads request trailers and edits response headers and trailers', async () => {
    const h = await fixtureHarness('c/headers.c');
    const r = await h.request({
      headers: get('/'),
      body: 'data',
      trailers: { 'x-checksum': 'abc123' },
      response: {
        headers: { ':status': '200', server: 'upstream/1.0', 'x-internal': 'secret' },
        body: 'ok',
        trailers: { 'grpc-status': '0' },
      },
    });
    expect(r.upstream.trailers).toContainEqual(['x-trailer-seen', 'abc123']);
    expect(r.downstreamHeader('x-response-filter')).toBe('c');
    expect(r.downstreamHeader('server')).toBe('meshwasm-fixture');
    expect(r.downstreamHeader('x-internal')).toBeUndefined();
    expect(r.downstream.trailers).toEqual([
      ['grpc-status', '0'],
      ['x-response-trailer', 'c'],
    ]);
  });
});

describe('memory across many requests (c/headers.c)', () => {
  it('keeps linear memory flat: every buffer the host hands over is freed by the filter and reused', async () => {
    const h = await fixtureHarness('c/headers.c');
    for (let i = 0; i < 20; i++) await h.request({ headers: get(`/warm/${i}`) });
    const warm = h.memoryBytes();
    for (let i = 0; i < 300; i++) await h.request({ headers: get(`/steady/${i}`, { 'x-multi': 'v'.repeat(200) }) });
    expect(h.memoryBytes()).toBe(warm);
  });
});
