// The proxy's /metrics (admin listener, real HTTP on 127.0.0.1) after real requests through a
// real wasm filter: Envoy-style request stats, Istio's request counter, the VM lifecycle (created,
// failed, reloaded), traps by callback, and filter-defined metrics in Prometheus text form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterMetricsText } from '../../proxy/metrics.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';

/** The value of one sample line `name{labels} value`, matched on name and a label subset. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('meshwasm proxy /metrics', () => {
  let up: TestUpstream;
  let p: RunningProxy;
  beforeAll(async () => {
    up = await startUpstream();
    p = await startProxy({
      upstream: up.url,
      adminPort: 0,
      workload: { name: 'web', namespace: 'shop' },
      filters: [
        { kind: 'wasm', name: 'tagger', module: watModule('tagger'), configuration: 'v1', failStrategy: 'FAIL_RELOAD' },
      ],
    });
  });
  afterAll(async () => {
    await p?.close();
    await up?.close();
  });

  it('counts requests, a trap by its callback, the failed VM and its reload', async () => {
    expect((await fetch(`${p.url}/a`)).status).toBe(200);
    expect((await fetch(`${p.url}/b`, { headers: { 'x-trap': '1' } })).status).toBe(503);
    expect((await fetch(`${p.url}/c`)).status).toBe(200);
    await fetch(`${p.url}/d`, { method: 'POST', body: 'some body' });

    for (const path of ['/metrics', '/stats/prometheus']) {
      const res = await fetch(`${p.adminUrl}${path}`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(sample(text, 'envoy_http_downstream_rq_total')).toBe(4);
      expect(sample(text, 'envoy_http_downstream_rq_xx', { envoy_response_code_class: '2' })).toBe(3);
      expect(sample(text, 'envoy_http_downstream_rq_xx', { envoy_response_code_class: '5' })).toBe(1);
      expect(
        sample(text, 'istio_requests_total', {
          response_code: '503',
          destination_workload: 'web',
          destination_workload_namespace: 'shop',
        }),
      ).toBe(1);
      expect(sample(text, 'istio_request_duration_milliseconds_count', { response_code: '200' })).toBe(3);
      expect(
        sample(text, 'meshwasm_wasm_traps_total', { filter: 'tagger', callback: 'proxy_on_request_headers' }),
      ).toBe(1);
      expect(sample(text, 'meshwasm_wasm_vm_failed_total', { filter: 'tagger', phase: 'runtime' })).toBe(1);
      expect(sample(text, 'meshwasm_wasm_vm_reloads_total', { filter: 'tagger' })).toBe(1);
      // The first VM and the one FAIL_RELOAD started.
      expect(sample(text, 'envoy_wasm_envoy_wasm_runtime_v8_created')).toBe(2);
      expect(sample(text, 'envoy_wasm_envoy_wasm_runtime_v8_active')).toBe(1);
      // The filter's own counter (proxy_define_metric "tagger_body_chunks"), as its TYPE says.
      expect(text).toContain('# TYPE tagger_body_chunks counter');
      expect(sample(text, 'tagger_body_chunks')).toBe(p.host.metrics.lookup('tagger_body_chunks')!.value);
      expect(sample(text, 'tagger_body_chunks')).toBeGreaterThan(0);
    }
  });

  it('writes filter histograms with Envoy buckets, sanitizes names, and leaves out a name the proxy owns', () => {
    const text = filterMetricsText(
      [
        { name: 'my.latency-ms', type: 'histogram', value: 15, samples: [1, 4, 10] },
        { name: 'istio_requests_total', type: 'counter', value: 99 },
      ],
      new Set(['istio_requests_total']),
    );
    expect(text).toContain('# TYPE my_latency_ms histogram');
    expect(sample(text, 'my_latency_ms_bucket', { le: '1' })).toBe(1);
    expect(sample(text, 'my_latency_ms_bucket', { le: '5' })).toBe(2);
    expect(sample(text, 'my_latency_ms_bucket', { le: '10' })).toBe(3);
    expect(sample(text, 'my_latency_ms_bucket', { le: '+Inf' })).toBe(3);
    expect(sample(text, 'my_latency_ms_sum')).toBe(15);
    expect(sample(text, 'istio_requests_total')).toBeUndefined();
  });
});
