// proxy_http_call from a C filter: an authorization call that pauses the request, and the
// response handled in proxy_on_http_call_response, which resumes the request or answers 403.
// Argument checks follow Envoy's Context::httpCall: unknown cluster, missing :method, :path
// or :authority, and a negative timeout are BadArgument; a body sets content-length.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { HttpCallRequest } from '../../host-sim/index.js';
import { fixtureHarness, get, messages } from './fixture-harness.js';

const header = (req: HttpCallRequest, name: string) => req.headers.find(([k]) => k === name)?.[1];

describe('http calls (c/http_call.c)', () => {
  it('pauses the request, sends the call, and resumes with data from the reply', async () => {
    const seen: HttpCallRequest[] = [];
    const h = await fixtureHarness('c/http_call.c', {
      clusters: {
        authz: (req) => {
          seen.push(req);
          return { status: 200, headers: { 'x-allowed': 'yes' }, body: 'user=alice' };
        },
      },
    });
    const r = await h.request({ headers: get('/orders', { 'x-user': 'alice' }) });
    expect(seen).toHaveLength(1);
    expect(header(seen[0]!, ':path')).toBe('/check');
    expect(header(seen[0]!, 'x-user')).toBe('alice');
    expect(seen[0]!.timeoutMs).toBe(500);
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-authz')).toBe('user=alice');
    expect(r.httpCalls).toHaveLength(1);
    expect(r.httpCalls[0]).toMatchObject({ cluster: 'authz', response: { status: 200, body: 'user=alice' } });
    expect(messages(r.logs)).toContain('response headers=2 body=10');
  });

  it('sets content-length from the call body, as Envoy does', async () => {
    const seen: HttpCallRequest[] = [];
    const h = await fixtureHarness('c/http_call.c', {
      clusters: {
        authz: (req) => {
          seen.push(req);
          return { status: 200, headers: { 'x-allowed': 'yes' } };
        },
      },
    });
    await h.request({ headers: get('/') });
    expect(Buffer.from(seen[0]!.body).toString()).toBe('ping');
    expect(header(seen[0]!, 'content-length')).toBe('4');
  });

  it('answers locally when the authorizer says no', async () => {
    const h = await fixtureHarness('c/http_call.c', {
      clusters: { authz: () => ({ status: 403, headers: { 'x-allowed': 'no' } }) },
    });
    const r = await h.request({ headers: get('/orders') });
    expect(r.upstream.reached).toBe(false);
    expect(r.localReply).toMatchObject({ status: 403, body: 'denied by authz' });
  });

  it("delivers a failed call (reset) with zero headers, and a timeout as Envoy's 504", async () => {
    const reset = await fixtureHarness('c/http_call.c', { clusters: { authz: () => 'reset' } });
    const r1 = await reset.request({ headers: get('/') });
    expect(messages(r1.logs)).toContain('response headers=0 body=0');
    expect(r1.localReply?.status).toBe(403);
    const timeout = await fixtureHarness('c/http_call.c', { clusters: { authz: () => 'timeout' } });
    const r2 = await timeout.request({ headers: get('/') });
    expect(r2.httpCalls[0]?.response).toMatchObject({ status: 504 });
    expect(r2.localReply?.status).toBe(403);
  });

  it('waits for a slow responder before resuming', async () => {
    const h = await fixtureHarness('c/http_call.c', {
      clusters: {
        authz: () =>
          new Promise((resolve) => setTimeout(() => resolve({ headers: { 'x-allowed': 'yes' }, body: 'late' }), 20)),
      },
    });
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-authz')).toBe('late');
  });

  it('calls a real HTTP upstream on 127.0.0.1 when the cluster is a URL', async () => {
    const server = createServer((req, res) => {
      res.setHeader('x-allowed', req.url === '/check' && req.headers['x-user'] === 'bob' ? 'yes' : 'no');
      res.end(`method=${req.method}`);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const { port } = server.address() as AddressInfo;
      const h = await fixtureHarness('c/http_call.c', { clusters: { authz: `http://127.0.0.1:${port}` } });
      const r = await h.request({ headers: get('/', { 'x-user': 'bob' }) });
      expect(r.upstreamHeader('x-authz')).toBe('method=GET');
      const denied = await h.request({ headers: get('/', { 'x-user': 'eve' }) });
      expect(denied.localReply?.status).toBe(403);
    } finally {
      server.close();
    }
  });

  it('answers BadArgument (2) for an unknown cluster, missing pseudo-headers and a negative timeout', async () => {
    const calls: HttpCallRequest[] = [];
    const h = await fixtureHarness('c/http_call.c', {
      clusters: {
        authz: (req) => {
          calls.push(req);
          return { status: 200 };
        },
      },
    });
    const r = await h.request({ headers: get('/bad-calls') });
    expect({
      unknownCluster: r.upstreamHeader('x-call-unknown-cluster'),
      noPath: r.upstreamHeader('x-call-no-path'),
      noMethod: r.upstreamHeader('x-call-no-method'),
      noAuthority: r.upstreamHeader('x-call-no-authority'),
      negativeTimeout: r.upstreamHeader('x-call-negative-timeout'),
    }).toEqual({ unknownCluster: '2', noPath: '2', noMethod: '2', noAuthority: '2', negativeTimeout: '2' });
    expect(calls).toHaveLength(0);
  });
});
