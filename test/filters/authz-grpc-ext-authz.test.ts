// The shipped authz filter's gRPC external authorization against a real
// envoy.service.auth.v3.Authorization server (@grpc/grpc-js with Envoy's own protos from
// @grpc/grpc-js-xds), through the real proxy: the CheckRequest the module encodes is decoded by
// protobufjs with the real schema, and the CheckResponse the server encodes is read by the module.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseModule } from '../../filters/authz/test/build-module.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';

function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate']
    .map((d) => join(deps, d))
    .filter((d) => existsSync(d));
}

interface CheckRequest {
  attributes: {
    source?: { address?: { socketAddress?: { address?: string; portValue?: number } } };
    request: { http: { method: string; path: string; host: string; scheme: string; headers: Record<string, string> } };
  };
}

let authzServer: grpc.Server;
let authzPort: number;
const checks: CheckRequest[] = [];
let up: TestUpstream;
let wasm: Uint8Array;
const proxies: RunningProxy[] = [];

beforeAll(async () => {
  const def = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: includeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } };
  };
  authzServer = new grpc.Server();
  authzServer.addService(pkg.envoy.service.auth.v3.Authorization.service, {
    Check: (call: grpc.ServerUnaryCall<CheckRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      checks.push(call.request);
      const path = call.request.attributes.request.http.path;
      if (path.startsWith('/partner/ok'))
        return cb(null, {
          status: { code: 0 },
          okResponse: { headers: [{ header: { key: 'x-partner-id', value: 'p-42' } }] },
        });
      if (path.startsWith('/partner/slow')) return void setTimeout(() => cb(null, { status: { code: 0 } }), 3000);
      return cb(null, {
        status: { code: 7 },
        deniedResponse: {
          status: { code: 'Unauthorized' },
          headers: [{ header: { key: 'x-denied-by', value: 'ext-authz' } }],
          body: 'partner unknown',
        },
      });
    },
  });
  authzPort = await new Promise<number>((resolve, reject) =>
    authzServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  up = await startUpstream();
  wasm = new Uint8Array(readFileSync(await releaseModule()));
}, 300_000);

afterAll(async () => {
  for (const p of proxies) await p.close();
  await up?.close();
  authzServer?.forceShutdown();
});

async function proxyWith(opts: { failOpen?: boolean; port?: number } = {}): Promise<RunningProxy> {
  const config = {
    defaultAction: 'deny',
    rules: [{ name: 'partner', match: { path: { prefix: '/partner/' } }, action: 'allow', extAuthz: true }],
    extAuthz: {
      cluster: 'ext-authz',
      grpc: true,
      // Long enough for a first Check (channel connect) on a loaded CI machine; /partner/slow
      // answers well after it.
      timeoutMs: 1000,
      failOpen: opts.failOpen ?? false,
      statusOnError: 503,
    },
  };
  const p = await startProxy({
    upstream: up.url,
    clusters: { 'ext-authz': `http://127.0.0.1:${opts.port ?? authzPort}` },
    filters: [{ kind: 'wasm', name: 'authz', module: wasm, configuration: JSON.stringify(config) }],
  });
  proxies.push(p);
  return p;
}

describe('authz gRPC ext-authz (envoy.service.auth.v3.Authorization/Check, real grpc-js server, real protos)', () => {
  let p: RunningProxy;
  beforeAll(async () => {
    p = await proxyWith();
  });

  it('sends a CheckRequest with the attributes Envoy sends, and allows on OK with the headers to add', async () => {
    const r = await fetch(`${p.url}/partner/ok?x=1`, {
      headers: { authorization: 'Bearer t', 'x-request-id': 'req-1' },
    });
    expect(r.status).toBe(200);
    expect(up.seen.at(-1)?.headers['x-partner-id']).toBe('p-42');
    const http = checks.at(-1)!.attributes.request.http;
    expect(http).toMatchObject({ method: 'GET', path: '/partner/ok?x=1', scheme: 'http' });
    expect(http.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(http.headers).toMatchObject({ authorization: 'Bearer t', 'x-request-id': 'req-1', ':method': 'GET' });
    expect(checks.at(-1)!.attributes.source?.address?.socketAddress?.address).toBeTruthy();
  });

  it('denies with the denied_response status, headers and body', async () => {
    const r = await fetch(`${p.url}/partner/who`);
    expect(r.status).toBe(401);
    expect(r.headers.get('x-denied-by')).toBe('ext-authz');
    expect(await r.text()).toBe('partner unknown');
    expect(up.seen.every((s) => s.url !== '/partner/who')).toBe(true);
  });

  it('a Check slower than timeoutMs fails closed (statusOnError)', async () => {
    const r = await fetch(`${p.url}/partner/slow`);
    expect(r.status).toBe(503);
  });

  it('service down: fails closed, or open when failOpen', async () => {
    const dead = new grpc.Server();
    const deadPort = await new Promise<number>((resolve, reject) =>
      dead.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) =>
        e ? reject(e) : resolve(port),
      ),
    );
    dead.forceShutdown();
    const closed = await proxyWith({ port: deadPort });
    expect((await fetch(`${closed.url}/partner/ok`)).status).toBe(503);
    const open = await proxyWith({ port: deadPort, failOpen: true });
    const r = await fetch(`${open.url}/partner/ok`);
    expect(r.status).toBe(200);
    expect(up.seen.at(-1)?.headers['x-partner-id']).toBeUndefined();
  });
});
