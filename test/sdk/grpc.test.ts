// The SDK's GrpcCall and GrpcStream through the host simulator, against scripted gRPC services:
// answers arrive on the root context (as Envoy) and the SDK routes them to the context that
// made the call.
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, GrpcStatus, type Harness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let h: Harness;
const get = (path: string, extra: Record<string, string> = {}) => ({
  headers: { ':method': 'GET', ':path': path, ':authority': 'example.com', ...extra },
});
beforeAll(async () => {
  const module = await buildFixture('grpc-client');
  h = await createHarness({
    module,
    grpcClusters: {
      echo: (req) => {
        const said = req.messages.map((m) => Buffer.from(m).toString()).join('+');
        if (req.kind === 'stream')
          return {
            initialMetadata: { 'x-md': req.initialMetadata.length === 0 ? 'none' : 'some' },
            messages: [`got ${said}`, 'two'],
            trailers: { 'x-tr': 'done' },
          };
        const user = req.initialMetadata.find(([k]) => k === 'x-user')?.[1];
        if (user === 'mallory') return { status: GrpcStatus.PermissionDenied, statusMessage: 'denied' };
        return { messages: [`${said} (${user})`] };
      },
    },
  });
}, 300_000);

describe('sdk GrpcCall and GrpcStream (scripted services, through the host simulator)', () => {
  it('GrpcCall: the answer reaches the HTTP context that called, which resumes its request', async () => {
    const r = await h.request(get('/unary', { 'x-user': 'alice' }));
    expect(r.upstreamHeader('x-grpc')).toBe('hi alice (alice)');
    // The callback ran with the root context's id on the wire; the SDK switched to the caller.
    const call = h.grpcCalls().at(-1)!;
    expect(call).toMatchObject({ kind: 'unary', service: 'test.Echo', method: 'Say', timeoutMs: 1000 });
    expect(call.token % 2).toBe(1);
  });

  it('GrpcCall: a failure arrives as onGrpcClose with the status', async () => {
    const r = await h.request(get('/unary', { 'x-user': 'mallory' }));
    expect(r.localReply).toMatchObject({ status: 503, body: 'grpc status 7' });
  });

  it('GrpcStream: send, half-close, then metadata, messages, trailers and close in order', async () => {
    const r = await h.request(get('/stream'));
    expect(r.upstreamHeader('x-md')).toBe('none');
    expect(r.upstreamHeader('x-messages')).toBe('got a+b,two');
    expect(r.upstreamHeader('x-tr')).toBe('done');
    expect(r.upstreamHeader('x-close')).toBe('0');
    expect(h.grpcCalls().at(-1)).toMatchObject({ kind: 'stream', sent: ['a', 'b'], outcome: { status: 0 } });
  });

  it('GrpcCall.cancel(): Ok, and no callback follows', async () => {
    const before = h.logs.length;
    const r = await h.request(get('/cancel'));
    expect(r.upstreamHeader('x-cancel')).toBe('0');
    expect(h.grpcCalls().at(-1)?.outcome).toBe('cancelled');
    expect(h.logs.slice(before).some((l) => l.message.startsWith('grpc message'))).toBe(false);
  });
});
