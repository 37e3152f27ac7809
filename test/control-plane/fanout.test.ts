import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import {
  loadEnvoyProtos,
  toStruct,
  TYPE_URL_PREFIX,
  TYPED_EXTENSION_CONFIG,
  type EnvoyProtos,
} from '../../envoy-api/protos.js';
import {
  HttpModuleSource,
  normalizeExtension,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../../control-plane/index.js';
import { EcdsServer, type ServedResource } from '../../control-plane/xds/ecds-server.js';
import { wasmResource } from '../../control-plane/xds/resources.js';
import { connectXds, type XdsClient } from '../../proxy/xds-client.js';
import { StatusRecordingSource } from '../../bench/control-plane/status-recording-source.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule, wasmPlugin, writeManifest } from './helpers.js';

const TYPE_URL = TYPE_URL_PREFIX + TYPED_EXTENSION_CONFIG;

interface Response {
  versionInfo: string;
  nonce: string;
  resources: { value: Uint8Array }[];
}

/** A raw ECDS stream (real gRPC, Envoy's protos) that records every response and ACKs it as Envoy does. */
function rawProxy(protos: EnvoyProtos, address: string, nodeId: string, labels: Record<string, string>) {
  const client = new protos.ecdsService(address, grpc.credentials.createInsecure());
  const stream = (client as any).StreamExtensionConfigs() as grpc.ClientDuplexStream<object, Response>;
  const node = { id: nodeId, metadata: toStruct({ NAMESPACE: 'default', LABELS: labels }) };
  const responses: Response[] = [];
  stream.on('data', (r: Response) => {
    responses.push(r);
    stream.write({ versionInfo: r.versionInfo, responseNonce: r.nonce, node, typeUrl: TYPE_URL });
  });
  stream.on('error', () => undefined);
  stream.write({ node, typeUrl: TYPE_URL });
  return {
    responses,
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}

describe('ECDS fan-out: one encoding per view and version (real gRPC, Envoy protos)', () => {
  let protos: EnvoyProtos;
  let server: EcdsServer;
  let address: string;
  const proxies: ReturnType<typeof rawProxy>[] = [];

  const served = (rev: number): ServedResource[] =>
    [
      { name: 'all', spec: { url: 'http://127.0.0.1:1/a.wasm', pluginConfig: { rev } } },
      { name: 'web-only', spec: { url: 'http://127.0.0.1:1/w.wasm', selector: { matchLabels: { app: 'web' } } } },
    ].map(({ name, spec }) => {
      const ext = normalizeExtension(wasmPlugin(name, spec) as Record<string, any>, `${name}.yaml`);
      return { ...wasmResource(protos, ext, spec.url, sha256(name)), ext, digest: sha256(name) };
    });

  beforeAll(async () => {
    protos = await loadEnvoyProtos();
    server = new EcdsServer(protos);
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  });

  afterAll(async () => {
    for (const p of proxies) p.close();
    await server.close();
  });

  it('encodes a response once per distinct view, and each proxy still gets its own nonce it can ACK', async () => {
    server.setResources(served(1));
    for (let i = 0; i < 24; i++) proxies.push(rawProxy(protos, address, `p-${i}`, { app: i % 2 ? 'web' : 'db' }));
    await eventually(() => server.proxies().filter((p) => p.acked).length === 24, 'every proxy to ACK');
    // Two views (app=web sees both extensions, app=db one), whatever the number of proxies.
    expect(server.encodes).toBe(2);
    const first = proxies.map((p) => p.responses[0]!);
    expect(new Set(first.map((r) => r.nonce)).size).toBe(24);
    expect(first.map((r) => r.resources.length)).toEqual(Array.from({ length: 24 }, (_, i) => (i % 2 ? 2 : 1)));
    expect(new Set(first.map((r) => r.versionInfo)).size).toBe(2);

    server.setResources(served(2));
    await eventually(
      () =>
        server
          .proxies()
          .every((p) => p.acked?.versionInfo === p.sent?.versionInfo && p.sent?.nonce !== first[0]!.nonce),
      'every proxy to ACK the second version',
    );
    expect(server.encodes).toBe(4);
    for (const p of proxies) expect(p.responses).toHaveLength(2);
    // What the proxy ACKed is recorded against what it was sent: the appended nonce decoded as the nonce.
    for (const p of server.proxies()) expect(p.acked?.versionInfo).toBe(p.sent?.versionInfo);
  });
});

describe('status writes to a status-keeping source: coalesced, incremental, and the same as /status (real gRPC)', () => {
  const v1 = wasmModule('fanout v1');
  const INTERVAL = 400;
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let dir: string;
  let cacheDir: string;
  let source: StatusRecordingSource;
  let cp: ControlPlane;
  const clients: XdsClient[] = [];

  const written = () => source.last.get('default/authz');
  const reported = () => cp.status().extensions.find((e) => e.name === 'authz')!.condition;
  const settled = () =>
    eventually(() => {
      const w = written();
      const r = reported();
      return w && w.reason === r.reason && w.message === r.message ? w : undefined;
    }, 'the written condition to match /status');

  beforeAll(async () => {
    modules = await startModuleServer({ '/v1.wasm': v1 });
    dir = tempDir('fanout');
    cacheDir = tempDir('fanout-cache');
    writeManifest(dir, 'authz.yaml', wasmPlugin('authz', { url: `${modules.url}/v1.wasm`, sha256: sha256(v1) }));
    source = new StatusRecordingSource(dir, { debounceMs: 20, rescanMs: 300 });
    cp = await startControlPlane({
      sources: [source],
      resolver: new Resolver([new HttpModuleSource()], { dir: cacheDir }),
      statusWriteIntervalMs: INTERVAL,
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await cp?.close();
    await modules?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('writes at most once per interval while 40 proxies connect and ACK, and ends on the right condition', async () => {
    await settled();
    const before = source.writes;
    const started = Date.now();
    const connecting = Array.from({ length: 40 }, (_, i) =>
      connectXds({ address: cp.xdsAddress, nodeId: `p-${i}`, labels: { app: 'web' }, namespace: 'default' }),
    );
    for (const c of await Promise.all(connecting)) clients.push(c);
    await Promise.all(clients.map((c) => c.firstUpdate()));
    const w = await settled();
    const elapsed = Date.now() - started;
    expect(w).toMatchObject({
      ready: true,
      reason: 'Serving',
      message: expect.stringContaining('40 of 40 proxies ACKed'),
    });
    // 40 connects, 40 pushes and 40 ACKs each changed the condition's count; one write per round.
    const writes = source.writes - before;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed / INTERVAL) + 1);
  });

  it('follows a NACK, the NACKing proxy leaving, and a new one, incrementally, as /status computes them', async () => {
    const picky = await connectXds({
      address: cp.xdsAddress,
      nodeId: 'picky',
      labels: { app: 'web' },
      namespace: 'default',
      onUpdate: () => {
        throw new Error('module failed to start: missing export proxy_on_memory_allocate');
      },
    });
    const nacked = await eventually(
      () => (written()?.reason === 'Degraded' ? written() : undefined),
      'a Degraded write',
    );
    expect(nacked.message).toContain('proxy picky rejected');
    await settled();
    picky.close();
    const back = await eventually(() => (written()?.reason === 'Serving' ? written() : undefined), 'Serving again');
    expect(back.message).toContain('40 of 40 proxies ACKed');
    const late = await connectXds({
      address: cp.xdsAddress,
      nodeId: 'late',
      labels: { app: 'web' },
      namespace: 'default',
    });
    clients.push(late);
    await late.firstUpdate();
    const w = await settled();
    expect(w.message).toContain('41 of 41 proxies ACKed');
  });
});
