// WasmPlugins of type NETWORK served by the control plane over ECDS (Envoy's
// envoy.filters.network.wasm) to the TCP proxy, while an HTTP proxy of the same workload takes
// only the HTTP plugin: real gRPC, modules over real HTTP, real TCP connections on 127.0.0.1.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { startProxy, startTcpProxy, type RunningProxy, type RunningTcpProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { compileFixture } from '../fixtures/compile.js';
import { eventually, sha256, startModuleServer, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';
import { watModule } from './helpers/modules.js';
import { startUpstream, type TestUpstream } from './helpers/upstream.js';

let modules: Awaited<ReturnType<typeof startModuleServer>>;
let cp: ControlPlane;
let tcp: RunningTcpProxy;
let http: RunningProxy;
let up: TestUpstream;
let echo: net.Server;
const stops: (() => void)[] = [];
const rejections: string[] = [];

beforeAll(async () => {
  const tcpModule = await compileFixture('c/tcp.c');
  modules = await startModuleServer({ '/tcp.wasm': tcpModule, '/tagger.wasm': watModule('tagger') });
  const dir = tempDir('tcp-xds');
  writeManifest(
    dir,
    'plugins.yaml',
    wasmPlugin('tcp-wrap', {
      url: `${modules.url}/tcp.wasm`,
      sha256: sha256(modules.files['/tcp.wasm']!),
      type: 'NETWORK',
      selector: { matchLabels: { app: 'db' } },
    }),
    wasmPlugin('tagger', {
      url: `${modules.url}/tagger.wasm`,
      sha256: sha256(modules.files['/tagger.wasm']!),
      pluginConfig: { tag: 'http' },
      selector: { matchLabels: { app: 'db' } },
    }),
  );
  cp = await startControlPlane({
    sources: [new DirectorySource(dir, { debounceMs: 30 })],
    resolver: new Resolver([new HttpModuleSource()], { dir: tempDir('tcp-xds-cache') }),
  });
  echo = net.createServer((s) => {
    s.on('data', (d) => s.write(`echo:${d}`));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  tcp = await startTcpProxy({ upstream: `tcp://127.0.0.1:${(echo.address() as net.AddressInfo).port}` });
  up = await startUpstream();
  http = await startProxy({ upstream: up.url, initiallyReady: false });
  const node = { address: cp.xdsAddress, labels: { app: 'db' }, namespace: 'default' };
  stops.push(await followXds(tcp, { ...node, nodeId: 'db-tcp', chain: 'network' }));
  stops.push(await followXds(http, { ...node, nodeId: 'db-http', onReject: (r) => rejections.push(r.message) }));
});

afterAll(async () => {
  for (const s of stops) s();
  await tcp?.close();
  await http?.close();
  await cp?.close();
  await up?.close();
  await modules?.close();
  echo?.close();
});

describe('control plane -> TCP proxy: WasmPlugin type NETWORK over ECDS', () => {
  it('the TCP proxy gets the NETWORK plugin and runs it on connections; the HTTP proxy gets only the HTTP one', async () => {
    await eventually(() => tcp.chain().filters.length === 1, 'the network chain');
    expect(tcp.chain().filters[0]).toMatchObject({ name: 'default.tcp-wrap', kind: 'wasm' });
    const s = net.connect({ host: '127.0.0.1', port: tcp.port });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.write('WRAP xds');
    await eventually(() => got === 'echo:[WRAP xds]', 'the wrapped echo');
    s.destroy();
    await eventually(() => http.chain().filters.length === 1, 'the http chain');
    expect(http.chain().filters.map((f) => f.name)).toEqual(['default.tagger']);
    expect(rejections).toEqual([]);
  });
});
