// Issue 14 item 12: when a filter refuses its configuration in proxy mode, the NACK the proxy
// sends (and so the control plane's status, which `meshwasm status` prints) quotes the reason the
// filter logged. Real control plane serving ECDS over real gRPC, the real authz filter.
import { rmSync } from 'node:fs';
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
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { authzModule } from './helpers.js';

describe('a NACK quotes the reason the filter logged when it refused its configuration', () => {
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stopXds: () => void;
  let dir: string;
  let cacheDir: string;
  let module: Uint8Array;

  beforeAll(async () => {
    module = await authzModule();
    modules = await startModuleServer({ '/authz.wasm': module });
    up = await startUpstream();
    dir = tempDir('nack-reason');
    cacheDir = tempDir('nack-reason-cache');
    writeManifest(
      dir,
      'authz.yaml',
      wasmPlugin('authz', {
        url: `${modules.url}/authz.wasm`,
        sha256: sha256(module),
        // Valid YAML, a config the control plane forwards, one the filter itself refuses.
        pluginConfig: { defaultAction: 'perhaps', rules: [] },
        selector: { matchLabels: { app: 'web' } },
      }),
    );
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: cacheDir }),
      retryMs: 300,
    });
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stopXds = await followXds(proxy, {
      address: cp.xdsAddress,
      nodeId: 'web-proxy',
      labels: { app: 'web' },
      namespace: 'default',
    });
  });

  afterAll(async () => {
    stopXds?.();
    await proxy?.close();
    await cp?.close();
    await modules?.close();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("carries the filter's own log line in the NACK, the proxy's last rejection and the control plane's status", async () => {
    const nack = await eventually(
      () => cp.status().proxies.find((p) => p.nodeId === 'web-proxy' && p.nack)?.nack,
      'the NACK in status',
    );
    expect(nack.message).toContain('rejected its configuration');
    expect(nack.message).toMatch(/the filter logged: authz: invalid configuration: .*defaultAction/);
    expect(nack.message).not.toContain('the filter logged no reason');
    expect(proxy.stats.lastRejection?.message).toBe(nack.message);
    // Keeping start-up lines for the message does not make the proxy keep a log.
    expect(proxy.host.logs).toHaveLength(0);
  });
});
