// Issue 14 item 4: proxies reconnect. A real `meshwasm control-plane` process is killed (SIGKILL,
// then SIGTERM) and started again on the same ports while a proxy follows it over real gRPC with
// Envoy's ECDS protos; the proxy keeps serving its last good chain while the control plane is
// down and takes the change made meanwhile (a revocation would travel the same way) once it is back.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { eventually, sha256, startModuleServer, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { freePort, startControlPlaneProcess, type ControlPlaneProcess } from './helpers/control-plane-process.js';

describe('a proxy reconnects to a restarted control plane process and resubscribes', () => {
  const tagger = watModule('tagger');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let proxy: RunningProxy;
  let stopXds: () => void;
  let cp: ControlPlaneProcess | undefined;
  const disconnects: string[] = [];
  const dir = tempDir('reconnect');
  const cacheDir = tempDir('reconnect-cache');
  let ports: { xdsPort: number; httpPort: number };

  const attach = (tag: string) =>
    writeManifest(
      dir,
      'tagger.yaml',
      wasmPlugin('tagger', {
        url: `${modules.url}/tagger.wasm`,
        sha256: sha256(tagger),
        pluginConfig: { tag },
        pluginName: 'tagger_root',
      }),
    );
  const tagUpstreamSees = async () => {
    const n = up.seen.length;
    const res = await fetch(`${proxy.url}/r`);
    expect(res.status).toBe(200);
    return up.seen[n]?.headers['x-filter-version'];
  };
  const start = () => startControlPlaneProcess({ configDir: dir, cacheDir, ...ports });

  beforeAll(async () => {
    modules = await startModuleServer({ '/tagger.wasm': tagger });
    up = await startUpstream();
    ports = { xdsPort: await freePort(), httpPort: await freePort() };
    attach('one');
    cp = await start();
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stopXds = await followXds(proxy, {
      address: cp.xds,
      nodeId: 'web-1',
      namespace: 'default',
      // Short backoff so the test does not wait out Envoy's 30 s ceiling; the default is covered below.
      reconnect: { initialMs: 100, maxMs: 1000 },
      onDisconnect: (d) => disconnects.push(d.reason),
    });
    await eventually(() => proxy.chain().filters.length === 1, 'the first chain');
  });

  afterAll(async () => {
    stopXds?.();
    await cp?.stop('SIGKILL');
    await proxy?.close();
    await modules?.close();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('serves the first chain from the control plane', async () => {
    expect(await tagUpstreamSees()).toBe('{"tag":"one"}');
  });

  it('after kill -9 keeps serving the last good chain, then takes the change made while it was down', async () => {
    await cp!.stop('SIGKILL');
    // Down: the chain the proxy had keeps answering.
    expect(await tagUpstreamSees()).toBe('{"tag":"one"}');
    attach('two');
    cp = await start();
    await eventually(async () => (await tagUpstreamSees()) === '{"tag":"two"}', 'the new chain after the restart');
    expect(disconnects.length).toBeGreaterThanOrEqual(1);
    // The new process sees the proxy and its ACK.
    const status = await eventually(async () => {
      const s = (await (await fetch(`${cp!.http}/status`)).json()) as {
        proxies: { nodeId: string; ackedVersion?: string }[];
      };
      return s.proxies.find((p) => p.nodeId === 'web-1' && p.ackedVersion);
    }, 'the ACK recorded by the restarted control plane');
    expect(status.ackedVersion).toBe(proxy.chain().version);
  });

  it('after SIGTERM (a graceful stop) does the same', async () => {
    const before = disconnects.length;
    await cp!.stop('SIGTERM');
    expect(await tagUpstreamSees()).toBe('{"tag":"two"}');
    attach('three');
    cp = await start();
    await eventually(async () => (await tagUpstreamSees()) === '{"tag":"three"}', 'the chain after the second restart');
    expect(disconnects.length).toBeGreaterThan(before);
  });
});
