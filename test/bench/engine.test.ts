import { describe, expect, it } from 'vitest';
import { runBenchmark, type BenchOptions } from '../../bench/engine.js';
import { renderHtml } from '../../bench/html-report.js';
import { formatTable } from '../../bench/table.js';
import { fixture, wat2wasm } from './wat.js';

// Small counts keep the suite quick; no figure that depends on speed is asserted.
const small: Partial<BenchOptions> = {
  runs: 2,
  requestsPerRun: 2000,
  warmupRequests: 500,
  sampleRequests: 500,
  roundTripCalls: 10_000,
};

describe('benchmark engine (in-process, hand-written WAT filters)', () => {
  it('reports the shape, and counts exactly the host calls a WAT filter makes (3 on request, 2 on response)', async () => {
    const rep = await runBenchmark({ module: wat2wasm(fixture('header-rw.wat')), label: 'header-rw', ...small });
    const f = rep.filter;
    expect(f.label).toBe('header-rw');
    expect(f.hostCalls.perRequest).toBe(5);
    expect(f.hostCalls.byFunction).toEqual({
      proxy_get_header_map_value: 2,
      proxy_add_header_map_value: 2,
      proxy_replace_header_map_value: 1,
    });
    // Two header values come back into the guest: two allocations per request.
    expect(f.hostCalls.guestAllocationsPerRequest).toBe(2);
    expect(rep.baseline.hostCalls.perRequest).toBe(0);

    const names = f.callbacks.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'proxy_on_context_create',
        'proxy_on_request_headers',
        'proxy_on_response_headers',
        'proxy_on_done',
        'proxy_on_delete',
      ]),
    );
    // header-rw exports no body/log callbacks; the baseline exports them all and gets on_log once.
    expect(names).not.toContain('proxy_on_log');
    expect(rep.baseline.callbacks.find((c) => c.name === 'proxy_on_log')?.perRequest).toBe(1);
    for (const c of f.callbacks) expect(c.perRequest).toBe(1);

    // warm-up + timed runs + the latency pass, all on the timed VM; every one reached the upstream.
    expect(f.outcome).toEqual({
      requests: 500 + 2 * 2000 + 500,
      reachedUpstream: 4500 + 500,
      localReplies: 0,
      stalled: 0,
    });
    expect(f.memory.requests).toBe(5000);
    expect(f.memory.leak).toBe(false);
    expect(f.memory.growthBytesPer100k).toBe(0);
    expect(f.requestsPerSecPerCore.samples).toHaveLength(2);
    expect(f.usPerRequest.median).toBeGreaterThan(0);
    expect(f.latencyUs.samples).toBe(500);
    expect(f.latencyUs.histogram.reduce((n, b) => n + b.count, 0)).toBe(500);
    expect(f.sizeBytes).toBe(wat2wasm(fixture('header-rw.wat')).length);
    expect(rep.ratios.sizeBytes).toBeCloseTo(f.sizeBytes / rep.baseline.sizeBytes, 2);
    expect(rep.roundTrip.hostFunction).toBe('proxy_get_log_level');
    expect(rep.roundTrip.bareNsPerCall.median).toBeGreaterThan(0);
    expect(rep.targets.map((t) => t.name)).toHaveLength(3);

    expect(formatTable(rep)).toContain('proxy_replace_header_map_value');
    const html = renderHtml(rep);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)=/); // self-contained: no external assets
  });

  it('flags a module that leaks linear memory on purpose', async () => {
    const rep = await runBenchmark({
      module: wat2wasm(fixture('leak.wat')),
      label: 'leak',
      ...small,
      requestsPerRun: 20_000,
    });
    expect(rep.filter.memory.leak).toBe(true);
    expect(rep.filter.memory.growthBytesPer100k).toBeGreaterThan(0);
    expect(rep.filter.memory.finalBytes).toBeGreaterThan(rep.filter.memory.afterWarmupBytes);
    expect(rep.targets.find((t) => t.name.includes('memory'))?.met).toBe(false);
    expect(rep.baseline.memory.leak).toBe(false);
  });

  it('counts local replies: a filter that answers 403 never lets requests reach the upstream', async () => {
    const rep = await runBenchmark({
      module: wat2wasm(new URL('../host-sim/harness-smoke.wat', import.meta.url).pathname),
      ...small,
      requests: [{ headers: { ':method': 'GET', ':path': '/', ':authority': 'a', 'x-deny': '1' } }],
    });
    expect(rep.filter.outcome.localReplies).toBe(rep.filter.outcome.requests);
    expect(rep.filter.outcome.reachedUpstream).toBe(0);
    expect(rep.baseline.outcome.reachedUpstream).toBe(rep.baseline.outcome.requests);
  });

  it('plays request and response bodies and trailers: the body and trailer callbacks run once per request', async () => {
    const rep = await runBenchmark({
      module: wat2wasm(fixture('header-rw.wat')),
      ...small,
      requests: [
        {
          headers: { ':method': 'POST', ':path': '/upload', ':authority': 'a' },
          body: ['chunk-1', 'chunk-2'],
          trailers: { 'x-checksum': '1' },
          response: { headers: { ':status': '201' }, body: 'created' },
        },
      ],
    });
    const per = (name: string) => rep.baseline.callbacks.find((c) => c.name === name)?.perRequest;
    expect(per('proxy_on_request_body')).toBe(2);
    expect(per('proxy_on_request_trailers')).toBe(1);
    expect(per('proxy_on_response_body')).toBe(1);
    expect(per('proxy_on_response_trailers')).toBeUndefined();
    expect(rep.filter.outcome.reachedUpstream).toBe(rep.filter.outcome.requests);
  });

  it('--duration sizes each run from the warm-up rate instead of a request count', async () => {
    const rep = await runBenchmark({
      module: wat2wasm(fixture('header-rw.wat')),
      ...small,
      requestsPerRun: undefined,
      durationSec: 0.01,
    });
    const perRun = rep.settings.requestsPerRun;
    expect(perRun).toBeGreaterThanOrEqual(1000);
    expect(rep.filter.outcome.requests).toBe(500 + 2 * perRun + 500);
  });

  it('stops with the callback and request number when the filter traps', async () => {
    const trap = new URL('./fixtures/trap.wat', import.meta.url).pathname;
    await expect(runBenchmark({ module: wat2wasm(trap), ...small })).rejects.toThrow(
      /trapped in proxy_on_request_headers.*on request 3/,
    );
  });
});
