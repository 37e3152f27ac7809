// Pausing and resuming from a C filter, and the end of a stream context. Envoy turns a headers
// callback's StopIteration into StopAllIterationAndWatermark: body and trailers wait with the
// headers until proxy_continue_stream, so headers can still be edited from the body callback.
import { describe, expect, it } from 'vitest';
import { fixtureHarness, get, messages, post } from './fixture-harness.js';

describe('stream control (c/stream_control.c)', () => {
  it('holds the request at headers without calling the body callback, then resumes it from another callback', async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({ headers: post('/hold'), body: ['one,', 'two'] });
    const log = messages(r.logs);
    const woke = log.findIndex((m) => m.startsWith('woke '));
    expect(woke).toBeGreaterThanOrEqual(0);
    // StopAllIteration: no body callback while the headers are held.
    expect(log.slice(0, woke).some((m) => m.startsWith('request body'))).toBe(false);
    expect(r.stalled).toBe(false);
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-held')).toBe('yes');
    expect(r.upstream.body).toBe('one,two');
  });

  it('reports a stream that is never resumed as stalled, never reaching the upstream', async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({ headers: post('/hold-forever'), body: 'never sent' });
    expect(r.stalled).toBe(true);
    expect(r.upstream.reached).toBe(false);
    expect(messages(r.logs).some((m) => m.startsWith('request body'))).toBe(false);
  });

  it('holds the response at headers and resumes it from another callback with the header added', async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({
      headers: get('/hold-response'),
      response: { headers: { ':status': '200' }, body: ['a', 'b'] },
    });
    expect(r.downstreamHeader('x-held-response')).toBe('yes');
    expect(r.downstream.body).toBe('ab');
    expect(r.downstream.status).toBe(200);
  });

  it('resets the stream on proxy_close_stream', async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({ headers: get('/close') });
    expect(r.downstream.reset).toBe(true);
    expect(r.upstream.reached).toBe(false);
  });

  it('answers BadArgument (2) for an unknown stream type', async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-continue-bad')).toBe('2');
  });

  it('ends each stream context with on_log, then on_done, then on_delete, once each', async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({ headers: get('/') });
    const ends = messages(r.logs).filter((m) => /^on_(done|log|delete) /.test(m));
    const id = ends[0]!.split(' ')[1];
    expect(ends).toEqual([`on_log ${id}`, `on_done ${id}`, `on_delete ${id}`]);
    const next = await h.request({ headers: get('/') });
    const nextId = messages(next.logs)
      .find((m) => m.startsWith('on_delete '))!
      .split(' ')[1];
    expect(nextId).not.toBe(id);
  });

  it("lets proxy_on_log read the request and response headers, as at Envoy's access-log time", async () => {
    const h = await fixtureHarness('c/stream_control.c');
    const r = await h.request({ headers: get('/audited'), response: { headers: { ':status': '404' } } });
    expect(messages(r.logs)).toContain('access log path=/audited status=404');
    const denied = await h.request({ headers: get('/close') });
    expect(messages(denied.logs).some((m) => m.startsWith('access log path=/close'))).toBe(true);
  });
});
