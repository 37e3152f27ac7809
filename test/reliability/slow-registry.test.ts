// Issue 14 item 7: one slow registry blocks nothing else. A real HTTP server on 127.0.0.1 drips a
// manifest one byte at a time (never idle, never done). While the control plane fetches from it,
// an unrelated extension's change still reaches a subscribed proxy (real gRPC, Envoy's ECDS
// protos); the stalled fetch ends at its overall deadline and the extension falls back per its
// failure policy. `meshwasm pull` against the same server ends at --deadline with exit 6.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  HttpModuleSource,
  OciModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { connectXds, type WasmFilter, type XdsClient } from '../../proxy/xds-client.js';
import * as registry from '../../registry/index.js';
import {
  eventually,
  sha256,
  startModuleServer,
  tempDir,
  wasmModule,
  wasmPlugin,
  writeManifest,
} from '../control-plane/helpers.js';
import { startDripServer, type DripServer } from './helpers/drip-server.js';
import { runCli } from './helpers/run-cli.js';

describe('a registry that drips bytes holds back only its own extension, and only until the deadline', () => {
  const tagger = wasmModule('tagger');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let drip: DripServer;
  let cp: ControlPlane;
  let client: XdsClient;
  const dir = tempDir('slow-registry');
  const cacheDir = tempDir('slow-registry-cache');
  const deadlineMs = 6000;

  const tagger_ = (tag: string) =>
    writeManifest(
      dir,
      'tagger.yaml',
      wasmPlugin('tagger', {
        url: `${modules.url}/tagger.wasm`,
        sha256: sha256(tagger),
        pluginConfig: { tag },
      }),
    );
  const configOf = (name: string) =>
    (client.current?.filters.find((f) => f.name === name) as WasmFilter | undefined)?.configuration;

  beforeAll(async () => {
    modules = await startModuleServer({ '/tagger.wasm': tagger });
    drip = await startDripServer();
    tagger_('one');
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(deadlineMs), new OciModuleSource(registry, { deadlineMs })], {
        dir: cacheDir,
      }),
      // No retry of the failed fetch during this test: one stalled fetch is the point.
      retryMs: 600_000,
    });
    client = await connectXds({ address: cp.xdsAddress, nodeId: 'web-1', namespace: 'default' });
    await client.waitFor(() => configOf('default.tagger') === '{"tag":"one"}');
  });

  afterAll(async () => {
    client?.close();
    await cp?.close();
    await drip?.close();
    await modules?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('pushes an unrelated change while the slow fetch is still dripping', async () => {
    writeManifest(dir, 'slow.yaml', wasmPlugin('slow', { url: `oci://${drip.host}/filters/slow:v1` }));
    await eventually(() => drip.open() > 0, 'the control plane fetching from the dripping registry');
    tagger_('two');
    await client.waitFor(() => configOf('default.tagger') === '{"tag":"two"}');
    // The slow download is still in progress: the change did not wait for it.
    expect(drip.open()).toBeGreaterThan(0);
    expect(cp.status().extensions.find((e) => e.name === 'slow')?.state).toBe('Pending');
  });

  it('ends the stalled fetch at its deadline and serves the FAIL_CLOSE fallback with the reason', async () => {
    const slow = await eventually(
      () => cp.status().extensions.find((e) => e.name === 'slow' && e.state === 'Fallback'),
      'the slow extension giving up at its deadline',
      deadlineMs + 15_000,
    );
    expect(slow.fallback).toBe('deny-all');
    expect(slow.error).toMatch(/deadline/);
    // The client gave up on the connection (the server notices a moment later).
    await eventually(() => drip.open() === 0, 'the dripping download closed by the client');
    const update = await client.waitFor((u) => u.filters.some((f) => f.name === 'default.slow'));
    expect(update.filters.find((f) => f.name === 'default.slow')).toMatchObject({ kind: 'rbac', action: 'deny-all' });
    // The other extension kept its latest version throughout.
    expect(configOf('default.tagger')).toBe('{"tag":"two"}');
  });

  it('meshwasm pull and inspect give up at --deadline with exit 6 and say why', async () => {
    const out = tempDir('slow-pull');
    const r = await runCli(['pull', `${drip.host}/filters/slow:v1`, '--deadline', '2s', '--out', `${out}/m.wasm`]);
    rmSync(out, { recursive: true, force: true });
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/not done within the 2 s deadline/);
    const i = await runCli(['inspect', `${drip.host}/filters/slow:v1`, '--deadline', '2s']);
    expect(i.status).toBe(6);
    expect(i.stderr).toMatch(/not done within the 2 s deadline/);
  });
});
