// proxy_send_local_response from a C filter, from each callback where Envoy allows it: the
// client gets the filter's answer, the upstream is never reached (or its answer is dropped).
import { describe, expect, it } from 'vitest';
import { fixtureHarness, get, post } from './fixture-harness.js';

describe('local replies (c/local_response.c)', () => {
  it('answers from request headers with status, body, headers and details; the upstream is not reached', async () => {
    const h = await fixtureHarness('c/local_response.c');
    const r = await h.request({ headers: get('/deny') });
    expect(r.upstream.reached).toBe(false);
    expect(r.localReply).toMatchObject({ status: 403, body: 'denied by c filter', details: 'c_filter_denied' });
    expect(r.localReply!.headers).toContainEqual(['x-deny-reason', 'path']);
    expect(r.downstream.status).toBe(403);
    expect(r.downstream.body).toBe('denied by c filter');
    expect(r.downstreamHeader('x-deny-reason')).toBe('path');
  });

  it('carries a gRPC status', async () => {
    const h = await fixtureHarness('c/local_response.c');
    const r = await h.request({ headers: get('/grpc-deny') });
    expect(r.localReply).toMatchObject({ status: 200, grpcStatus: 7, details: 'c_filter_grpc_denied' });
    expect(r.upstream.reached).toBe(false);
  });

  it('answers from the request body once it is complete, never forwarding the body', async () => {
    const h = await fixtureHarness('c/local_response.c');
    const r = await h.request({ headers: post('/deny-body'), body: ['part-1', 'part-2'] });
    expect(r.localReply).toMatchObject({ status: 418, body: 'short and stout' });
    expect(r.downstream.status).toBe(418);
    expect(r.upstream.body).toBe('');
  });

  it("replaces the upstream's response from the response headers callback", async () => {
    const h = await fixtureHarness('c/local_response.c');
    const r = await h.request({
      headers: get('/replace-reply'),
      response: { headers: { ':status': '200', 'x-secret': '1' }, body: 'upstream body' },
    });
    expect(r.upstream.reached).toBe(true);
    expect(r.downstream.status).toBe(502);
    expect(r.downstream.body).toBe('upstream hidden');
    expect(r.downstreamHeader('x-secret')).toBeUndefined();
  });

  it('lets other paths through untouched', async () => {
    const h = await fixtureHarness('c/local_response.c');
    const r = await h.request({ headers: get('/ok'), response: { headers: { ':status': '201' }, body: 'created' } });
    expect(r.localReply).toBeUndefined();
    expect([r.downstream.status, r.downstream.body]).toEqual([201, 'created']);
  });
});
