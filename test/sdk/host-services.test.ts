import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = await buildFixture('everything');
}, 300_000);

const req = (test: string, path = '/p') => ({
  ':method': 'GET',
  ':path': path,
  ':authority': 'example.com',
  'x-test': test,
});

describe('sdk properties, metrics, shared data, queues, timers, logs (through the host simulator)', () => {
  it('reads typed properties, host-answered plugin properties and custom ones', async () => {
    const h = await createHarness({
      module,
      config: {},
      pluginName: 'sdk-test',
      properties: { 'custom.value': 'hello' },
    });
    const r = await h.request({ headers: req('props', '/a/b?q=1') });
    expect(r.upstreamHeader('x-path')).toBe('/a/b?q=1');
    expect(r.upstreamHeader('x-prop-method')).toBe('GET');
    expect(r.upstreamHeader('x-plugin')).toBe('sdk-test');
    expect(r.upstreamHeader('x-root-id')).toBe('');
    expect(r.upstreamHeader('x-custom')).toBe('hello');
    expect(r.upstreamHeader('x-nothing')).toBe('null');
  });

  it('defines counters (tags in the name), gauges and histograms', async () => {
    const h = await createHarness({ module, config: {} });
    for (let i = 0; i < 3; i++) await h.request({ headers: req('metrics') });
    expect(h.metric('method.GET.requests_total')).toBe(3);
    expect(h.metric('inflight')).toBe(7);
    const r = await h.request({ headers: req('metrics') });
    expect(r.upstreamHeader('x-gauge')).toBe('7');
    expect(h.metrics().find((m) => m.name === 'latency_ms')).toBeDefined();
  });

  it('keeps shared data across requests and refuses a stale compare-and-swap', async () => {
    const h = await createHarness({ module, config: {} });
    const a = await h.request({ headers: req('shared') });
    const b = await h.request({ headers: req('shared') });
    expect(a.upstreamHeader('x-hits')).toBe('1');
    expect(b.upstreamHeader('x-hits')).toBe('2');
    expect(b.upstreamHeader('x-cas')).toBe('mismatch');
    expect(b.upstreamHeader('x-absent')).toBe('null');
    expect(h.sharedData('hits')).toBe('2');
  });

  it('delivers shared-queue items to the root context', async () => {
    const h = await createHarness({ module, config: {} });
    await h.request({ headers: req('queue', '/q1') });
    await h.enqueue('events', 'from the test');
    const lines = h.logs.map((l) => l.message);
    expect(lines).toContain('dequeued: from /q1');
    expect(lines).toContain('dequeued: from the test');
  });

  it('runs onTick every tick period', async () => {
    const h = await createHarness({ module, config: { tickMs: 100 } });
    await h.tick(350);
    expect(h.metric('ticks')).toBe(3);
  });

  it('logs at every level, and from onLog', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('log', '/logged') });
    const got = r.logs.map((l) => `${l.level}:${l.message}`);
    expect(got).toEqual(
      expect.arrayContaining([
        'trace:t',
        'debug:d',
        'info:i',
        'warn:w',
        'error:e',
        'critical:c',
        'info:level via log()',
        'info:on_log for /logged',
      ]),
    );
  });
});
