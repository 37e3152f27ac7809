import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = await buildFixture('everything');
}, 300_000);

const req = (test: string, extra: Record<string, string> = {}) => ({
  ':method': 'GET',
  ':path': '/p',
  ':authority': 'example.com',
  'x-test': test,
  ...extra,
});

describe('sdk header maps (through the host simulator)', () => {
  it('reads, sets, adds, removes and lists request headers', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('headers', { 'x-remove-me': '1', 'x-replaced': 'old' }) });
    expect(r.trap).toBeUndefined();
    const up = r.upstream.headers;
    expect(r.upstreamHeader('x-count')).toBe('6');
    expect(r.upstreamHeader('x-num-headers')).toBe('6');
    expect(r.upstreamHeader('x-method')).toBe('GET');
    expect(up.filter(([k]) => k === 'x-multi').map(([, v]) => v)).toEqual(['a', 'b']);
    expect(r.upstreamHeader('x-remove-me')).toBeUndefined();
    expect(up.filter(([k]) => k === 'x-replaced')).toEqual([['x-replaced', 'new']]);
    expect(r.upstreamHeader('x-missing')).toBe('absent');
  });

  it('replaces the whole map with setAll', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('setall', { 'x-drop': 'gone', 'x-keep': 'kept' }) });
    expect(r.upstreamHeader('x-drop')).toBeUndefined();
    expect(r.upstreamHeader('x-keep')).toBe('kept');
    expect(r.upstreamHeader('x-all')).toBe('yes');
    expect(r.upstreamHeader(':path')).toBe('/p');
  });

  it('keeps multi-byte UTF-8 and empty values intact through setAll', async () => {
    const h = await createHarness({ module, config: {} });
    const text = 'caf\u00e9 \u4e2d \ud83d\ude00';
    const r = await h.request({ headers: req('setall', { 'x-utf8': text, 'x-empty': '' }) });
    expect(r.upstreamHeader('x-utf8')).toBe(text);
    expect(r.upstreamHeader('x-empty')).toBe('');
    expect(r.upstreamHeader('x-all')).toBe('yes');
  });

  it('sets response headers and request trailers', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('headers'), body: 'x', trailers: { 'x-t': '1' } });
    expect(r.downstreamHeader('x-mode')).toBe('headers');
    expect(r.upstream.trailers).toContainEqual(['x-trailer-seen', '1']);
  });
});
