// gRPC callouts from the proxy go to a real gRPC server over HTTP/2 (@grpc/grpc-js on 127.0.0.1),
// made by the C fixture test/fixtures/c/grpc.c as the C++ SDK makes them.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { startUpstream, type TestUpstream } from './helpers/upstream.js';

const raw = (b: Buffer) => b;
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
});

let server: grpc.Server;
let up: TestUpstream;
let proxy: RunningProxy;
const seenMetadata: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(
    {
      Say: method('/test.Echo/Say', false, false),
      Slow: method('/test.Echo/Slow', false, false),
      Talk: method('/test.Chat/Talk', true, true),
    } as grpc.ServiceDefinition,
    {
      Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        seenMetadata.push(call.metadata.getMap());
        cb(null, Buffer.from(`echo ${call.request.toString()}`));
      },
      Slow: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        setTimeout(() => cb(null, Buffer.from('late')), 500);
      },
      Talk: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const got: string[] = [];
        const md = new grpc.Metadata();
        md.set('x-md', 'hi');
        call.sendMetadata(md);
        call.on('data', (b: Buffer) => got.push(b.toString()));
        call.on('end', () => {
          call.write(Buffer.from(`got ${got.join('+')}`));
          const trailers = new grpc.Metadata();
          trailers.set('x-tr', 'bye');
          call.end(trailers);
        });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  up = await startUpstream();
  proxy = await startProxy({
    upstream: up.url,
    clusters: { echo: `http://127.0.0.1:${port}` },
    filters: [{ kind: 'wasm', name: 'grpc', module: await compileFixture('c/grpc.c') }],
  });
});
afterAll(async () => {
  await proxy?.close();
  await up?.close();
  server?.forceShutdown();
});

const get = (path: string) => fetch(`${proxy.url}${path}`);

describe('gRPC callouts from the proxy to a real gRPC server (@grpc/grpc-js, raw bytes)', () => {
  it('unary: the answer comes back on proxy_on_grpc_receive and the request goes on with it', async () => {
    const r = await get('/unary');
    expect(r.status).toBe(200);
    expect(up.seen.at(-1)?.headers['x-grpc']).toBe('echo hello');
    expect(seenMetadata.at(-1)).toMatchObject({ 'x-user': 'alice' });
  });

  it('unary past its timeout: DeadlineExceeded (4) reaches proxy_on_grpc_close', async () => {
    const r = await get('/timeout');
    expect(r.status).toBe(503);
    expect(r.headers.get('x-grpc-status')).toBe('4');
  });

  it('stream: initial metadata, the message, trailers and close, then the request goes on', async () => {
    const r = await get('/stream');
    expect(r.status).toBe(200);
    expect(up.seen.at(-1)?.headers['x-stream-close']).toBe('0');
  });
});
