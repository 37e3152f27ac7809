// gRPC callouts on a C fixture written as the C++ SDK makes them (test/fixtures/c/grpc.c), against
// scripted gRPC services: the five host calls and four callbacks with Envoy's semantics
// (source/extensions/common/wasm/context.cc, proxy-wasm-cpp-host exports.cc). No Envoy binary:
// the tests check what a module sees, callback by callback.
import { beforeAll, describe, expect, it } from 'vitest';
import { GrpcStatus, type GrpcReply, type GrpcRequest, type Harness } from '../../host-sim/harness/index.js';
import { fixtureHarness, get, messages } from './fixture-harness.js';

let h: Harness;
const requests: GrpcRequest[] = [];
beforeAll(async () => {
  h = await fixtureHarness('c/grpc.c', {
    grpcClusters: {
      echo: {
        reply(req): GrpcReply {
          requests.push(req);
          const said = req.messages.map((m) => Buffer.from(m).toString()).join('+');
          if (req.method === 'Slow') return { messages: ['late'], delayMs: 5000 };
          if (req.method === 'Talk')
            return {
              initialMetadata: { 'x-md': 'hi' },
              messages: [`got ${said}`, 'second'],
              trailers: { 'x-tr': 'bye' },
              status: GrpcStatus.Ok,
            };
          return { initialMetadata: { 'x-ignored': '1' }, messages: [`echo ${said}`] };
        },
      },
    },
  });
});

const rootId = () => h.plugin.id;

describe('gRPC callouts (C fixture as the C++ SDK drives them; Envoy semantics, no Envoy binary)', () => {
  it('unary call by cluster name: the answer arrives on the ROOT context as proxy_on_grpc_receive only', async () => {
    const mark = h.logs.length;
    const r = await h.request({ headers: get('/unary') });
    expect(r.upstreamHeader('x-grpc')).toBe('echo hello');
    const lines = messages(h.logs.slice(mark));
    const token = Number(/call status=0 token=(\d+)/.exec(lines[0]!)![1]);
    // Calls get odd tokens, as Envoy's nextGrpcCallId.
    expect(token % 2).toBe(1);
    // Envoy's unary onSuccess: no initial/trailing metadata callbacks, no close.
    expect(lines.slice(1)).toEqual([`receive ctx=${rootId()} token=${token} size=10 message=echo hello`]);
    const call = h.grpcCalls().at(-1)!;
    expect(call).toMatchObject({
      kind: 'unary',
      cluster: 'echo',
      service: 'test.Echo',
      method: 'Say',
      initialMetadata: [['x-user', 'alice']],
      timeoutMs: 1000,
      sent: ['hello'],
      outcome: { status: 0, message: '' },
    });
  });

  it('accepts the service as a serialized GrpcService (envoy_grpc.cluster_name)', async () => {
    const r = await h.request({ headers: get('/proto') });
    expect(r.upstreamHeader('x-grpc')).toBe('echo hello');
    expect(h.grpcCalls().at(-1)?.cluster).toBe('echo');
  });

  it('a failed unary call ends in proxy_on_grpc_close with the status; proxy_get_status carries the message', async () => {
    const mark = h.logs.length;
    h.host.setGrpcCluster('echo', () => ({ status: GrpcStatus.PermissionDenied, statusMessage: 'no entry' }));
    try {
      const r = await h.request({ headers: get('/unary') });
      expect(r.localReply).toMatchObject({ status: 503 });
      expect(r.downstreamHeader('x-grpc-status')).toBe('7');
      expect(r.downstreamHeader('x-grpc-message')).toBe('no entry');
      const lines = messages(h.logs.slice(mark));
      expect(lines[1]).toMatch(new RegExp(`^close ctx=${rootId()} token=\\d+ status=7 get_status=7 message=no entry$`));
      expect(lines.some((l) => l.startsWith('receive'))).toBe(false);
    } finally {
      h.host.setGrpcCluster('echo', { reply: (req) => ({ messages: [`echo ${Buffer.from(req.messages[0]!)}`] }) });
    }
  });

  it('a call whose answer comes later than its timeout closes with DeadlineExceeded (4)', async () => {
    h.host.setGrpcCluster('echo', () => ({ messages: ['late'], delayMs: 5000 }));
    const r = await h.request({ headers: get('/timeout') });
    expect(r.downstreamHeader('x-grpc-status')).toBe(String(GrpcStatus.DeadlineExceeded));
    expect(h.grpcCalls().at(-1)).toMatchObject({ method: 'Slow', timeoutMs: 50, outcome: { status: 4 } });
  });

  it('an unreachable service closes the call with Unavailable (14)', async () => {
    h.host.setGrpcCluster('echo', () => 'unavailable');
    const r = await h.request({ headers: get('/unary') });
    expect(r.downstreamHeader('x-grpc-status')).toBe('14');
  });

  it('stream: initial metadata, each message, trailing metadata and close, in order, on the root context', async () => {
    h.host.setGrpcCluster('echo', (req) => ({
      initialMetadata: { 'x-md': 'hi' },
      messages: [`got ${req.messages.map((m) => Buffer.from(m).toString()).join('+')}`, 'second'],
      trailers: { 'x-tr': 'bye' },
    }));
    const mark = h.logs.length;
    const r = await h.request({ headers: get('/stream') });
    expect(r.upstreamHeader('x-stream-close')).toBe('0');
    const lines = messages(h.logs.slice(mark));
    const token = Number(/stream status=0 token=(\d+)/.exec(lines[0]!)![1]);
    expect(token % 2).toBe(0); // streams get even tokens
    const root = rootId();
    expect(lines).toEqual([
      `stream status=0 token=${token} send1=0 send2=0`,
      `initial ctx=${root} token=${token} count=1 x-md=hi`,
      `receive ctx=${root} token=${token} size=7 message=got a+b`,
      `receive ctx=${root} token=${token} size=6 message=second`,
      `trailing ctx=${root} token=${token} count=1 x-tr=bye`,
      `close ctx=${root} token=${token} status=0 get_status=0 message=`,
    ]);
    expect(h.grpcCalls().at(-1)).toMatchObject({ kind: 'stream', method: 'Talk', sent: ['a', 'b'] });
  });

  it('proxy_grpc_close on a stream half-closes it: the service answers and close still arrives', async () => {
    h.host.setGrpcCluster('echo', (req) => ({ messages: [`${req.messages.length} message(s)`] }));
    const mark = h.logs.length;
    const r = await h.request({ headers: get('/half-close') });
    expect(messages(h.logs.slice(mark))[0]).toMatch(/ send=0 close=0$/);
    expect(r.upstreamHeader('x-stream-close')).toBe('0');
    expect(messages(h.logs.slice(mark))).toContainEqual(expect.stringMatching(/message=1 message\(s\)$/));
  });

  it('proxy_grpc_cancel: Ok, then NotFound; no callback follows', async () => {
    const mark = h.logs.length;
    await h.request({ headers: get('/cancel') });
    const lines = messages(h.logs.slice(mark));
    expect(lines).toContain('cancel=0 again=1');
    expect(lines.some((l) => /^(receive|close|initial|trailing) /.test(l))).toBe(false);
    expect(h.grpcCalls().at(-1)?.outcome).toBe('cancelled');
  });

  it('answers bad calls as Envoy does', async () => {
    const r = await h.request({ headers: get('/bad') });
    expect(r.upstreamHeader('x-unknown-cluster')).toBe('4'); // ParseFailure: neither a proto nor a cluster
    expect(r.upstreamHeader('x-send-on-call')).toBe('2'); // BadArgument: send is for streams
    expect(r.upstreamHeader('x-send-unknown')).toBe('1'); // NotFound
    expect(r.upstreamHeader('x-close-unknown')).toBe('1');
    expect(r.upstreamHeader('x-cancel-unknown')).toBe('1');
    expect(r.upstreamHeader('x-empty-proto')).toBe('2'); // BadArgument: a GrpcService naming no cluster
  });
});
