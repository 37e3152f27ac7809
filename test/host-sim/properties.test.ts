// Properties read by a C filter in Envoy's encodings (serializeValue in context.cc): strings
// raw, integers as 8 little-endian bytes, bools as 1 byte, timestamps as int64 nanoseconds,
// maps as header-map pairs; plugin_name / plugin_root_id answered by the host itself; path
// segments NUL-separated; an unknown path is NotFound; set_property round-trips.
import { describe, expect, it } from 'vitest';
import { fixtureHarness, get } from './fixture-harness.js';

describe('properties (c/properties.c)', () => {
  it('returns request.path and source.address as raw strings', async () => {
    const h = await fixtureHarness('c/properties.c');
    const r = await h.request({ headers: get('/api/v1?x=1'), properties: { 'source.address': '192.168.7.9:41000' } });
    expect(r.upstreamHeader('x-prop-path')).toBe('/api/v1?x=1');
    expect(r.upstreamHeader('x-prop-bytes-path')).toBe(String('/api/v1?x=1'.length));
    expect(r.upstreamHeader('x-prop-source')).toBe('192.168.7.9:41000');
  });

  it('answers plugin_root_id and plugin_name from the plugin, and node.id from the host', async () => {
    const h = await fixtureHarness('c/properties.c', {
      rootId: 'authz_root',
      pluginName: 'ns.authz',
      properties: { 'node.id': 'sidecar~10.1.1.1~pod.ns~ns.svc.cluster.local' },
    });
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-prop-root-id')).toBe('authz_root');
    expect(r.upstreamHeader('x-prop-plugin-name')).toBe('ns.authz');
    expect(r.upstreamHeader('x-prop-node-id')).toBe('sidecar~10.1.1.1~pod.ns~ns.svc.cluster.local');
  });

  it('encodes request.size as an 8-byte integer and request.time as int64 nanoseconds', async () => {
    const start = Date.UTC(2031, 5, 1, 12);
    const h = await fixtureHarness('c/properties.c', { startTimeMs: start });
    const r = await h.request({ headers: { ...get('/'), 'content-length': '5' }, body: 'abcde' });
    expect(r.upstreamHeader('x-prop-bytes-size')).toBe('8');
    expect(r.upstreamHeader('x-prop-size')).toBe('5');
    expect(r.upstreamHeader('x-prop-bytes-time')).toBe('8');
    expect(r.upstreamHeader('x-prop-time-ns')).toBe(String(BigInt(start) * 1_000_000n));
  });

  it('answers request.size from content-length when present, else the body bytes received so far (0 at headers)', async () => {
    const h = await fixtureHarness('c/properties.c');
    const chunked = await h.request({ headers: get('/'), body: 'abcde' });
    expect(chunked.upstreamHeader('x-prop-size')).toBe('0');
  });

  it('encodes connection.mtls as one byte', async () => {
    const h = await fixtureHarness('c/properties.c');
    const plain = await h.request({ headers: get('/') });
    expect([plain.upstreamHeader('x-prop-mtls'), plain.upstreamHeader('x-prop-bytes-mtls')]).toEqual(['0', '1']);
    const mtls = await h.request({ headers: get('/'), properties: { 'connection.mtls': true } });
    expect(mtls.upstreamHeader('x-prop-mtls')).toBe('1');
  });

  it('encodes a map-valued property (request.headers) as header-map pairs', async () => {
    const h = await fixtureHarness('c/properties.c');
    const headers = get('/');
    const r = await h.request({ headers });
    expect(r.upstreamHeader('x-prop-req-headers')).toBe(`${Object.keys(headers).length}:${Object.keys(headers)[0]}`);
  });

  it('answers NotFound (1) for a path that does not exist', async () => {
    const h = await fixtureHarness('c/properties.c');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-prop-missing')).toBe('1');
  });

  it('reads back a property the filter set on its stream (Envoy filter state "wasm.<name>")', async () => {
    const h = await fixtureHarness('c/properties.c');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-prop-set-status')).toBe('0');
    expect(r.upstreamHeader('x-prop-roundtrip')).toBe('noted');
    expect(r.upstreamHeader('x-prop-bytes-roundtrip')).toBe('5');
  });
});
