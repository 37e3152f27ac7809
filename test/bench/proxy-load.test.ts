import { describe, expect, it } from 'vitest';
import { parseWrk, runProxyLoad } from '../../bench/proxy-load.js';
import { fixture, wat2wasm } from './wat.js';

const WRK_SAMPLE = `Running 1s test @ http://127.0.0.1:40000/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   310.12us  120.50us   4.21ms   91.00%
    Req/Sec    12.80k     1.10k   14.00k    80.00%
  Latency Distribution
     50%  290.00us
     75%  330.00us
     90%  410.00us
     99%    1.02ms
  12800 requests in 1.00s, 1.50MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  12791.33
Transfer/sec:      1.50MB
`;

describe('bench --proxy', () => {
  it("reads wrk's report: throughput, percentiles in ms, errors", () => {
    const f = parseWrk(WRK_SAMPLE, 'x');
    expect(f.requestsPerSec).toBeCloseTo(12791.33);
    expect(f.requests).toBe(12800);
    expect(f.latencyMs).toEqual({ p50: 0.29, p75: 0.33, p90: 0.41, p99: 1.02, max: 4.21 });
    expect(f.errors).toBe(6);
  });

  it('loads the filter chain, the bare proxy and plain Node with real wrk on 127.0.0.1 (two mirrored rounds each)', async () => {
    const rep = await runProxyLoad({
      module: wat2wasm(fixture('header-rw.wat')),
      label: 'header-rw',
      connections: 2,
      durationSec: 2,
    });
    expect(rep.tool).toBe('wrk');
    expect(rep.setups.map((s) => s.name)).toEqual(['filter chain', 'proxy, no filters', 'plain Node pass-through']);
    for (const s of rep.setups) {
      expect(s.requests).toBeGreaterThan(0);
      expect(s.errors).toBe(0);
      expect(s.latencyMs.p50).toBeGreaterThan(0);
    }
    expect(rep.ratios.vsNoFilters).toBeGreaterThan(0);
    expect(rep.ratios.vsPlainNode).toBeGreaterThan(0);
  }, 60_000);
});
