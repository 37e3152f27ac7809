// The whole loop with real parts on 127.0.0.1: push to Debian's docker-registry (CNCF distribution),
// attach (WasmPlugin manifest) into the control plane's watched directory, ECDS over real gRPC
// with Envoy's protos, `meshwasm proxy` taking the filter, real HTTP requests through it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildExtensionManifest,
  DirectorySource,
  OciModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import * as registry from '../../registry/index.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { withCustomSection } from '../proxy/helpers/wasm-variant.js';
import { startRegistry, type RunningRegistry } from '../registry/helpers/docker-registry.js';

/** Polls until fn returns a truthy value: the loop is event-driven across processes. */
async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const hex = (d: string) => d.replace(/^sha256:/, '');

describe('end to end: docker-registry -> attach -> control plane -> ECDS -> meshwasm proxy', () => {
  const v1 = watModule('tagger');
  const v2 = withCustomSection(v1, 'release 2');
  let reg: RunningRegistry;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stopXds: () => void;
  const dir = mkdtempSync(join(tmpdir(), 'mw-e2e-manifests-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'mw-e2e-cache-'));

  const attach = (ref: string, sha256: string, tag: string) => {
    const doc = buildExtensionManifest({
      kind: 'WasmPlugin',
      name: 'tagger',
      namespace: 'shop',
      url: `oci://${ref}`,
      sha256,
      selector: { app: 'checkout' },
      phase: 'AUTHZ',
      pluginConfig: { tag },
      failStrategy: 'FAIL_CLOSE',
    });
    writeFileSync(join(dir, 'tagger.yaml'), YAML.stringify(doc));
  };
  const tagAtUpstream = async () => {
    const n = up.seen.length;
    const res = await fetch(`${proxy.url}/cart`);
    expect(res.status).toBe(200);
    return up.seen[n]!.headers['x-filter-version'];
  };

  beforeAll(async () => {
    reg = await startRegistry();
    up = await startUpstream();
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new OciModuleSource(registry)], { dir: cacheDir }),
      retryMs: 300,
    });
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stopXds = await followXds(proxy, {
      address: cp.xdsAddress,
      nodeId: 'checkout-1',
      labels: { app: 'checkout' },
      namespace: 'shop',
    });
  }, 60_000);

  afterAll(async () => {
    stopXds?.();
    await proxy?.close();
    await cp?.close();
    await up?.close();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('pushes v1, attaches it, and the proxy runs it on real requests', async () => {
    const pushed = await registry.pushModule(v1, `${reg.host}/e2e/tagger:v1`);
    attach(`${reg.host}/e2e/tagger:v1`, hex(pushed.manifestDigest), 'one');
    await eventually(() => proxy.chain().filters.length === 1, 'the proxy to receive the filter');
    expect(proxy.chain().filters[0]).toMatchObject({ name: 'shop.tagger', sha256: pushed.moduleSha256 });
    expect(await tagAtUpstream()).toBe('{"tag":"one"}');
  });

  it('takes a new version without a restart', async () => {
    const before = proxy.stats.requests;
    const pushed = await registry.pushModule(v2, `${reg.host}/e2e/tagger:v2`);
    attach(`${reg.host}/e2e/tagger:v2`, hex(pushed.manifestDigest), 'two');
    await eventually(() => proxy.chain().filters[0]?.sha256 === pushed.moduleSha256, 'version 2 in the chain');
    expect(await tagAtUpstream()).toBe('{"tag":"two"}');
    // Same proxy, same listener: its counters kept counting.
    expect(proxy.stats.requests).toBe(before + 1);
  });

  it('a bad digest leaves the old version serving, and status shows the error', async () => {
    const served = proxy.chain();
    attach(`${reg.host}/e2e/tagger:v2`, 'b'.repeat(64), 'three');
    const ext = await eventually(async () => {
      const s = await (await fetch(`${cp.httpUrl}/status`)).json();
      return s.extensions.find((e: { name: string; error?: string }) => e.name === 'tagger' && e.error);
    }, 'status to report the bad digest');
    expect(ext.error).toContain('b'.repeat(64));
    expect(proxy.chain().version).toBe(served.version);
    expect(await tagAtUpstream()).toBe('{"tag":"two"}');
  });
});
