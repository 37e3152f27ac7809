import { existsSync, readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type RequestSpec } from '../../../host-sim/harness/index.js';
import { releaseModule } from './build-module.js';

let wasm: string;
beforeAll(async () => {
  wasm = await releaseModule();
});

const req = (
  method: string,
  path: string,
  status: number,
  extra: Partial<RequestSpec> & { headers?: Record<string, string> } = {},
): RequestSpec => ({
  ...extra,
  headers: {
    ':method': method,
    ':path': path,
    ':authority': 'shop.example:8080',
    'user-agent': 'curl/8',
    ...extra.headers,
  },
  response: { headers: { ':status': String(status) }, body: 'x'.repeat(status === 200 ? 10 : 3) },
});

const accessLogs = (logs: { level: string; message: string }[]) =>
  logs
    .filter((l) => l.level === 'info' && l.message.startsWith('{'))
    .map((l) => JSON.parse(l.message) as Record<string, unknown>);

const series = (tags: Record<string, string>, name: string) =>
  Object.entries(tags)
    .map(([k, v]) => `${k}.${v}.`)
    .join('') + name;

describe('telemetry release module', () => {
  it('is under 40 KB', () => {
    expect(statSync(wasm).size).toBeLessThan(40 * 1024);
  });
});

describe('telemetry metrics', () => {
  it('counts requests per method, code class, code and authority, with Istio names', async () => {
    const h = await createHarness({ module: wasm, config: {} });
    const cases: [string, number, number][] = [
      ['GET', 200, 3],
      ['POST', 201, 1],
      ['GET', 404, 2],
      ['DELETE', 503, 1],
    ];
    for (const [method, status, n] of cases) for (let i = 0; i < n; i++) await h.request(req(method, '/a', status));
    for (const [method, status, n] of cases) {
      const tags = {
        request_method: method,
        response_code_class: `${Math.floor(status / 100)}xx`,
        response_code: String(status),
        destination_authority: 'shop_example',
      };
      expect(h.metric(series(tags, 'istio_requests_total'))).toBe(n);
    }
  });

  it('records duration and byte histograms', async () => {
    const h = await createHarness({ module: wasm, config: { responseCodeTag: false, routeTag: 'none' } });
    await h.request({ ...req('POST', '/upload', 200), body: ['12345', '67890'] });
    const tags = { request_method: 'POST', response_code_class: '2xx' };
    const all = h.metrics();
    const find = (n: string) => all.find((m) => m.name === series(tags, n));
    expect(find('istio_request_bytes')?.samples).toEqual([10]);
    expect(find('istio_response_bytes')?.samples).toEqual([10]);
    expect(find('istio_request_duration_milliseconds')?.type).toBe('histogram');
  });

  it('measures duration on the proxy clock', async () => {
    const h = await createHarness({ module: wasm, config: { routeTag: 'none', responseCodeTag: false } });
    await h.request({
      ...req('GET', '/slow', 200),
      response: async () => {
        await h.tick(250);
        return { headers: { ':status': '200' } };
      },
    } as RequestSpec);
    const d = h.metrics().find((m) => m.name.endsWith('istio_request_duration_milliseconds'));
    expect(d?.samples?.[0]).toBeGreaterThanOrEqual(250);
  });

  it('adds configured header tags ("unknown" when missing) and the route name', async () => {
    const h = await createHarness({
      module: wasm,
      config: { routeTag: 'route_name', responseCodeTag: false, tagHeaders: { 'x-tenant': 'tenant' } },
      properties: { route_name: 'orders.v1' },
    });
    await h.request(req('GET', '/', 200, { headers: { 'x-tenant': 'acme' } }));
    await h.request(req('GET', '/', 200));
    const base = { request_method: 'GET', response_code_class: '2xx', route_name: 'orders_v1' };
    expect(h.metric(series({ ...base, tenant: 'acme' }, 'istio_requests_total'))).toBe(1);
    expect(h.metric(series({ ...base, tenant: 'unknown' }, 'istio_requests_total'))).toBe(1);
  });

  it('caps tag cardinality into an overflow series', async () => {
    const h = await createHarness({
      module: wasm,
      config: { routeTag: 'none', responseCodeTag: false, tagHeaders: { 'x-user': 'user' }, maxTagCombinations: 3 },
    });
    for (let i = 0; i < 10; i++) await h.request(req('GET', '/', 200, { headers: { 'x-user': `u${i}` } }));
    const counters = h.metrics().filter((m) => m.name.endsWith('istio_requests_total'));
    expect(counters).toHaveLength(4);
    expect(
      h.metric(
        series(
          { request_method: 'overflow', response_code_class: 'overflow', user: 'overflow' },
          'istio_requests_total',
        ),
      ),
    ).toBe(7);
  });

  it('uses a custom metric prefix', async () => {
    const h = await createHarness({
      module: wasm,
      config: { metricPrefix: 'shop_', routeTag: 'none', responseCodeTag: false },
    });
    await h.request(req('GET', '/', 200));
    expect(h.metric(series({ request_method: 'GET', response_code_class: '2xx' }, 'shop_requests_total'))).toBe(1);
  });
});

describe('telemetry access log', () => {
  it('writes one JSON line per request with the default fields', async () => {
    const h = await createHarness({ module: wasm, config: {}, startTimeMs: 1_700_000_000_000 });
    const r = await h.request(req('GET', '/orders?id=1', 200, { headers: { 'x-request-id': 'req-1' } }));
    const [line] = accessLogs(r.logs);
    expect(line).toEqual({
      start_time: 1_700_000_000_000,
      method: 'GET',
      path: '/orders?id=1',
      authority: 'shop.example:8080',
      status: 200,
      duration_ms: 0,
      request_bytes: 0,
      response_bytes: 10,
      request_id: 'req-1',
      user_agent: 'curl/8',
    });
  });

  it('logs only the configured fields and headers, escaping what JSON must escape', async () => {
    const h = await createHarness({
      module: wasm,
      config: {
        accessLog: {
          fields: ['path', 'response_code_class', 'source_address'],
          headers: { 'x-tenant': 'tenant', 'x-missing': 'missing' },
        },
      },
      properties: { 'source.address': '10.0.0.9:5000' },
    });
    const path = '/q?"quoted"\\back\tslash/ünï/日本';
    const r = await h.request(req('GET', path, 404, { headers: { 'x-tenant': 'a"b' } }));
    expect(accessLogs(r.logs)).toEqual([
      { path, response_code_class: '4xx', source_address: '10.0.0.9:5000', tenant: 'a"b', missing: null },
    ]);
  });

  it('logs local replies of other filters (status from the response)', async () => {
    const h = await createHarness({ module: wasm, config: {} });
    const r = await h.request(req('GET', '/', 503));
    expect(accessLogs(r.logs)[0]?.status).toBe(503);
  });

  it('can be switched off', async () => {
    const h = await createHarness({ module: wasm, config: { accessLog: { enabled: false } } });
    const r = await h.request(req('GET', '/', 200));
    expect(accessLogs(r.logs)).toEqual([]);
  });

  it('handles very long values and many headers', async () => {
    const h = await createHarness({ module: wasm, config: {} });
    const headers: Record<string, string> = {};
    for (let i = 0; i < 300; i++) headers[`x-${i}`] = 'v'.repeat(100);
    const long = '/' + 'p'.repeat(50_000);
    const r = await h.request(req('GET', long, 200, { headers }));
    expect(accessLogs(r.logs)[0]?.path).toBe(long);
  });
});

describe('telemetry request ids', () => {
  it('generates a UUIDv4 x-request-id when absent, sends it upstream and echoes it', async () => {
    const h = await createHarness({ module: wasm, config: {} });
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const r = await h.request(req('GET', '/', 200));
      const id = r.upstreamHeader('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.downstreamHeader('x-request-id')).toBe(id);
      ids.add(id);
    }
    expect(ids.size).toBe(50);
  });

  it('keeps an incoming id', async () => {
    const h = await createHarness({ module: wasm, config: {} });
    const r = await h.request(req('GET', '/', 200, { headers: { 'x-request-id': 'abc' } }));
    expect(r.upstreamHeader('x-request-id')).toBe('abc');
  });

  it('honours a custom header and generate: false', async () => {
    const h = await createHarness({ module: wasm, config: { requestId: { header: 'X-Trace', generate: false } } });
    const r = await h.request(req('GET', '/', 200));
    expect(r.upstreamHeader('x-trace')).toBeUndefined();
    expect(accessLogs(r.logs)[0]?.request_id).toBe('');
  });
});

describe('telemetry configuration errors name the field', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not valid JSON/],
    ['unknown field', { metricPrefx: 'a' }, /configuration\.metricPrefx: unknown field/],
    ['bad routeTag', { routeTag: 'host' }, /routeTag: must be one of/],
    ['bad log field', { accessLog: { fields: ['method', 'bogus'] } }, /accessLog\.fields\[1\]: must be one of/],
    ['bad tag name', { tagHeaders: { 'x-a': 'has space' } }, /tagHeaders\.x-a: must be a name/],
    ['bad cardinality cap', { maxTagCombinations: 0 }, /maxTagCombinations: must be between/],
    ['bad requestId.generate', { requestId: { generate: 'yes' } }, /requestId\.generate: must be true or false/],
  ];
  for (const [name, config, message] of bad) {
    it(name, async () => {
      await expect(createHarness({ module: wasm, config })).rejects.toThrow(message);
    });
  }
});

describe('telemetry memory', () => {
  it('keeps linear memory flat over 20k requests', async () => {
    const h = await createHarness({ module: wasm, config: { tagHeaders: { 'x-tenant': 'tenant' } } });
    const specs = [
      req('GET', '/a', 200),
      req('POST', '/b', 503, { headers: { 'x-tenant': 't1' } }),
      req('GET', '/c?x=1', 404, { headers: { 'x-request-id': 'r' } }),
    ];
    for (let i = 0; i < 300; i++) await h.request(specs[i % 3]!);
    const warm = h.memoryBytes();
    for (let i = 0; i < 20_000; i++) await h.request(specs[i % 3]!);
    expect(h.memoryBytes()).toBe(warm);
  }, 300_000);
});

describe('telemetry shipped example configuration', () => {
  it('config.example.json is accepted', async () => {
    // A project made by `meshwasm init` has it as config.json.
    const example = new URL('../config.example.json', import.meta.url);
    const config = readFileSync(existsSync(example) ? example : new URL('../config.json', import.meta.url), 'utf8');
    const h = await createHarness({ module: wasm, config });
    expect(h.logs.some((l) => l.level === 'info' && l.message.startsWith('telemetry: configured'))).toBe(true);
  });
});
