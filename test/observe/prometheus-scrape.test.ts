// The control plane's and the proxy's /metrics scraped by a real Prometheus (Debian's, started
// on 127.0.0.1 with a 1 s scrape interval), queried through its HTTP API as a dashboard would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  FileModuleSource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { eventually, sha256, startModuleServer, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { startPrometheus, type RunningPrometheus } from './prometheus.js';

const hostPort = (url: string) => new URL(url).host;

describe('metrics scraped by a real Prometheus', () => {
  const counter = watModule('access-counter');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stopXds: () => void;
  let prom: RunningPrometheus;

  beforeAll(async () => {
    modules = await startModuleServer({ '/counter.wasm': counter });
    up = await startUpstream();
    const dir = tempDir('prom');
    writeManifest(
      dir,
      'counter.yaml',
      wasmPlugin('counter', { url: `${modules.url}/counter.wasm`, sha256: sha256(counter), phase: 'STATS' }),
    );
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: tempDir('prom-cache') }),
    });
    proxy = await startProxy({
      upstream: up.url,
      initiallyReady: false,
      adminPort: 0,
      workload: { name: 'web-proxy', namespace: 'default' },
    });
    stopXds = await followXds(proxy, { address: cp.xdsAddress, nodeId: 'web-proxy', namespace: 'default' });
    await eventually(() => proxy.chain().filters.length === 1, 'the counter filter to arrive over ECDS');
    prom = await startPrometheus({ 'control-plane': hostPort(cp.httpUrl), proxy: hostPort(proxy.adminUrl!) });
  }, 60_000);

  afterAll(async () => {
    await prom?.close();
    stopXds?.();
    await proxy?.close();
    await cp?.close();
    await up?.close();
    await modules?.close();
  });

  it('after a few requests, istio_requests_total, the filter counter and the push counters are queryable', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${proxy.url}/r${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    const requests = await eventually(async () => {
      const r = await prom.query('sum(istio_requests_total{response_code="200",reporter="destination"})');
      return Number(r[0]?.value[1] ?? 0) >= 5 ? r : undefined;
    }, 'Prometheus to have scraped 5 requests');
    expect(Number(requests[0]!.value[1])).toBe(5);

    const labelled = await prom.query('istio_requests_total');
    expect(labelled[0]!.metric).toMatchObject({
      job: 'proxy',
      destination_workload: 'web-proxy',
      destination_workload_namespace: 'default',
      destination_service: hostPort(up.url),
      request_protocol: 'http',
      response_flags: '-',
    });

    // The filter's own counter (proxy_define_metric "access_logged"), unprefixed as in Envoy.
    const logged = await eventually(async () => {
      const r = await prom.query('access_logged');
      return Number(r[0]?.value[1] ?? 0) >= 5 ? r : undefined;
    }, 'the filter-defined counter');
    expect(Number(logged[0]!.value[1])).toBe(5);

    const vms = await prom.query('envoy_wasm_envoy_wasm_runtime_v8_created');
    expect(Number(vms[0]!.value[1])).toBeGreaterThanOrEqual(1);

    // The control plane is its own scrape job: on a loaded machine its first scrape may come later.
    const pushes = await eventually(async () => {
      const r = await prom.query('pilot_xds_pushes{job="control-plane",type="ecds"}');
      return r.length > 0 ? r : undefined;
    }, 'a scrape of the control plane');
    expect(Number(pushes[0]!.value[1])).toBeGreaterThanOrEqual(1);
    const connected = await prom.query('pilot_xds{job="control-plane"}');
    expect(Number(connected[0]!.value[1])).toBe(1);
    const acks = await prom.query('meshwasm_xds_acks_total{job="control-plane"}');
    expect(Number(acks[0]!.value[1])).toBeGreaterThanOrEqual(1);
    const serving = await prom.query('meshwasm_extensions{job="control-plane",condition="Serving"}');
    expect(Number(serving[0]!.value[1])).toBe(1);
    const fetched = await prom.query('wasm_remote_fetch_count{job="control-plane",result="success"}');
    expect(Number(fetched[0]!.value[1])).toBe(1);
  }, 60_000);
});
