// Metrics defined by a C filter, with Envoy's rules (context.cc): increment on a histogram and
// get on a histogram are BadArgument, record on a counter adds, a counter cannot go down, a
// gauge can, an unknown type is BadArgument, an unknown id NotFound.
import { describe, expect, it } from 'vitest';
import { runExchange } from '../../host-sim/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { fixtureHarness, get, messages } from './fixture-harness.js';

describe('metrics (c/metrics.c)', () => {
  it('counts requests with increment + record (record adds on a counter)', async () => {
    const h = await fixtureHarness('c/metrics.c');
    const first = await h.request({ headers: get('/') });
    expect(first.upstreamHeader('x-metric-requests')).toBe('3');
    await h.request({ headers: get('/') });
    expect(h.metric('requests_total')).toBe(6);
  });

  it('moves a gauge up and down, read back by the filter and by the test', async () => {
    const h = await fixtureHarness('c/metrics.c');
    const r = await h.request({ headers: get('/') });
    // +1 on request headers; proxy_on_log takes it back once the stream is over.
    expect(r.upstreamHeader('x-metric-active')).toBe('1');
    expect(r.upstreamHeader('x-metric-gauge-down')).toBe('0');
    expect(h.metric('active_requests')).toBe(0);
  });

  it('records histogram samples', async () => {
    const h = await fixtureHarness('c/metrics.c');
    await h.request({ headers: { ...get('/'), 'content-length': '120' }, body: 'x'.repeat(120) });
    await h.request({ headers: { ...get('/'), 'content-length': '30' }, body: 'x'.repeat(30) });
    const hist = h.metrics().find((m) => m.name === 'body_bytes');
    expect(hist).toMatchObject({ type: 'histogram', samples: [120, 30] });
  });

  it("answers Envoy's statuses for the calls it refuses", async () => {
    const h = await fixtureHarness('c/metrics.c');
    const r = await h.request({ headers: get('/') });
    expect({
      incrementHistogram: r.upstreamHeader('x-metric-inc-histogram'),
      getHistogram: r.upstreamHeader('x-metric-get-histogram'),
      unknownId: r.upstreamHeader('x-metric-unknown-id'),
      counterDown: r.upstreamHeader('x-metric-counter-down'),
    }).toEqual({ incrementHistogram: '2', getHistogram: '2', unknownId: '1', counterDown: '2' });
    expect(messages(h.logs)).toContain('define bad type status=2');
    expect(h.metric('requests_total')).toBe(3);
  });

  it("shares a stat by name across VMs, as Envoy's stats scope does", async () => {
    const h = await fixtureHarness('c/metrics.c');
    const second = h.host.startPlugin(h.host.loadVm(await compileFixture('c/metrics.c'), { vmId: 'second' }), {
      name: 'second',
    });
    // One request through both filters: each adds 3 to the same stat.
    const r = await runExchange(h.host, [h.plugin, second], { headers: get('/') });
    expect(r.upstream.reached).toBe(true);
    expect(h.metric('requests_total')).toBe(6);
  });
});
