import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = await buildFixture('everything');
}, 300_000);

const req = (test: string, extra: Record<string, string> = {}) => ({
  ':method': 'POST',
  ':path': '/p',
  ':authority': 'example.com',
  'x-test': test,
  ...extra,
});

describe('sdk bodies, local responses, pause/continue (through the host simulator)', () => {
  it('buffers a chunked request body, then replaces, appends and prepends to it', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({
      headers: req('body'),
      body: ['hello ', 'wor', 'ld'],
      response: { headers: { ':status': '200' }, body: ['up', 'stream'] },
    });
    expect(r.trap).toBeUndefined();
    expect(r.upstream.body).toBe('>HELLO WORLD!');
    expect(r.downstream.body).toBe('upstream [filtered]');
  });

  it('answers locally with status, body, headers and details; the upstream is not reached', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('local') });
    expect(r.upstream.reached).toBe(false);
    expect(r.localReply).toMatchObject({ status: 403, body: 'denied by test', details: 'test_denied' });
    expect(r.localReply?.headers).toContainEqual(['x-reason', 'test']);
    expect(r.downstream.status).toBe(403);
  });
});

describe('sdk http calls (through the host simulator)', () => {
  it('pauses the request, calls a cluster, and continues from the callback with the answer', async () => {
    const seen: [string, string][][] = [];
    const h = await createHarness({
      module,
      config: {},
      clusters: {
        authz: (call) => {
          seen.push(call.headers);
          return { status: 200, body: 'alice-ok' };
        },
      },
    });
    const r = await h.request({ headers: req('call') });
    expect(r.trap).toBeUndefined();
    expect(seen[0]).toContainEqual(['x-user', 'alice']);
    expect(seen[0]).toContainEqual([':path', '/check']);
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-authz')).toBe('alice-ok');
  });

  it('denies from the callback when the cluster answers 403', async () => {
    const h = await createHarness({ module, config: {}, clusters: { authz: () => ({ status: 403, body: 'nope' }) } });
    const r = await h.request({ headers: req('call') });
    expect(r.upstream.reached).toBe(false);
    expect(r.downstream.status).toBe(403);
    expect(r.downstream.body).toBe('denied: nope');
    expect(r.localReply?.headers).toContainEqual(['x-authz-status', '403']);
  });

  it('reports a failed call (reset) to the callback as zero headers', async () => {
    const h = await createHarness({ module, config: {}, clusters: { authz: () => 'reset' } });
    const r = await h.request({ headers: req('call') });
    expect(r.downstream.status).toBe(503);
    expect(r.localReply?.details).toBe('authz_failed');
  });

  it('routes the response to onHttpCallResponse when no callback function is given', async () => {
    const h = await createHarness({ module, config: {}, clusters: { authz: () => ({ status: 200, body: 'm' }) } });
    const r = await h.request({ headers: req('call-method') });
    expect(r.upstreamHeader('x-authz-method')).toBe('status=200 body=m');
  });

  it('returns call id 0 and the host status for an unknown cluster', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('bad-call') });
    expect(r.upstreamHeader('x-call-id')).toBe('0');
    expect(r.upstreamHeader('x-call-status')).toBe('2'); // BadArgument
  });
});
