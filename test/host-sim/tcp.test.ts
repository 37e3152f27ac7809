// Network (TCP) filters on a C fixture written as the C++ SDK drives them (test/fixtures/c/tcp.c):
// the five callbacks in Envoy's order (source/extensions/common/wasm/context.cc: onNewConnection,
// onData, onWrite, onEvent, onCloseTCP), the DownstreamData/UpstreamData buffers, stream control
// and connection properties. No Envoy binary here: the harness plays Envoy's network filter
// manager and tcp_proxy, and these tests check the protocol a module sees.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../host-sim/harness/index.js';
import { fixtureHarness, messages } from './fixture-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await fixtureHarness('c/tcp.c');
});

/** The log lines of one test, from the mark on. */
function since(mark: number): string[] {
  return messages(h.logs.slice(mark));
}

describe('TCP filter callbacks (C fixture, Envoy protocol without an Envoy binary)', () => {
  it('plays a whole connection in Envoy order: new, data both ways, half-closes, then done, log, delete', async () => {
    const mark = h.logs.length;
    const c = await h.connection({ properties: { 'source.address': '192.0.2.7:40000', 'destination.port': 9000 } });
    const id = c.contextId;
    await c.sendDownstream('hello');
    await c.sendUpstream('world');
    await c.halfCloseDownstream();
    await c.sendUpstream('bye', { end: true });
    expect(since(mark)).toEqual([
      expect.stringMatching(new RegExp(`^new id=${id} src=192.0.2.7:40000 dport=9000 cid=\\d+$`)),
      `down id=${id} len=5 eos=0 data=hello at1=ell`,
      `up id=${id} len=5 eos=0 data=world`,
      `down id=${id} len=0 eos=1 data= at1=`,
      `up id=${id} len=3 eos=1 data=bye`,
      // onWrite with end_stream is how Envoy learns the upstream closed: PeerType Unknown (0).
      `upstream-close id=${id} peer=0`,
      // Both halves ended, the connection closes: a remote close, then onCloseTCP.
      `downstream-close id=${id} peer=2`,
      `done id=${id}`,
      `log id=${id}`,
      `delete id=${id}`,
    ]);
    expect(c.upstreamReceived()).toBe('hello');
    expect(c.upstreamEnded).toBe(true);
    expect(c.downstreamReceived()).toBe('worldbye');
    expect(c.downstreamEnded).toBe(true);
    expect(c.closed?.by).toBe('client');
  });

  it('gives each connection its own context and connection.id', async () => {
    const mark = h.logs.length;
    const a = await h.connection();
    const b = await h.connection();
    expect(a.contextId).not.toBe(b.contextId);
    const cids = since(mark).map((l) => /cid=(\d+)/.exec(l)?.[1]);
    expect(cids[0]).not.toBe(cids[1]);
    await a.close();
    await b.close();
  });

  it('counts downstream bytes in a metric the filter defined', async () => {
    const before = h.metric('tcp.down_bytes') ?? 0;
    const c = await h.connection();
    await c.sendDownstream('12345');
    await c.sendDownstream('678');
    expect(h.metric('tcp.down_bytes')).toBe(before + 8);
    await c.close();
  });

  it('rewrites downstream bytes at offsets (prepend at 0, append at the end) before the upstream sees them', async () => {
    const c = await h.connection();
    await c.sendDownstream('WRAP me');
    expect(c.upstreamReceived()).toBe('[WRAP me]');
    await c.close();
  });

  it('replaces the upstream buffer whole on its way to the client', async () => {
    const c = await h.connection();
    await c.sendUpstream('lower case');
    expect(c.downstreamReceived()).toBe('LOWER CASE');
    await c.close();
  });

  it('holds bytes on StopIteration, shows them again with the next chunk, and releases them on proxy_continue_stream(downstream)', async () => {
    const mark = h.logs.length;
    const c = await h.connection();
    const id = c.contextId;
    await c.sendDownstream('HOLD1');
    expect(c.upstreamReceived()).toBe('');
    // Envoy leaves held bytes in the connection's read buffer: the next read appends to it and
    // the filter sees the whole buffer again.
    await c.sendDownstream('-2');
    expect(c.upstreamReceived()).toBe('');
    await c.sendUpstream('release');
    expect(c.upstreamReceived()).toBe('HOLD1-2');
    expect(since(mark)).toContain(`down id=${id} len=7 eos=0 data=HOLD1-2 at1=OLD`);
    // Envoy: continueStream(Upstream) is Unimplemented (12), an unknown stream type BadArgument (2),
    // and HTTP buffers do not exist on a connection (NotFound, 1).
    expect(since(mark)).toContain('continue-upstream=12 close-bad=2 http-buffer=1');
    await c.close();
  });

  it('closes the connection when the filter calls proxy_close_stream(downstream): a local close', async () => {
    const mark = h.logs.length;
    const c = await h.connection();
    const id = c.contextId;
    await c.sendDownstream('CLOSE now');
    expect(c.closed).toMatchObject({ by: 'filter', reason: 'wasm_downstream_close' });
    expect(since(mark).slice(-4)).toEqual([
      `downstream-close id=${id} peer=1`,
      `done id=${id}`,
      `log id=${id}`,
      `delete id=${id}`,
    ]);
    // The close runs when the callback returns, before the bytes of that read are handed on;
    // nothing passes after it.
    expect(c.upstreamReceived()).toBe('');
    await c.sendDownstream('more');
    expect(c.upstreamReceived()).toBe('');
  });

  it('reports a client that closes without half-closing as a remote close', async () => {
    const mark = h.logs.length;
    const c = await h.connection();
    await c.close();
    expect(since(mark)).toContain(`downstream-close id=${c.contextId} peer=2`);
    expect(since(mark).at(-1)).toBe(`delete id=${c.contextId}`);
  });
});

describe('TCP filter failure policy (C fixture)', () => {
  it('FAIL_CLOSE: a trap closes the connection and later connections are refused', async () => {
    const fh = await fixtureHarness('c/tcp.c', { failStrategy: 'FAIL_CLOSE' });
    const c = await fh.connection();
    await c.sendDownstream('TRAP');
    expect(c.closed?.by).toBe('failure');
    expect(c.closed?.trap?.callback).toBe('proxy_on_downstream_data');
    expect(c.upstreamReceived()).toBe('');
    const next = await fh.connection();
    expect(next.closed?.by).toBe('failure');
    await next.sendDownstream('x');
    expect(next.upstreamReceived()).toBe('');
  });

  it('FAIL_OPEN: a trap lets the bytes through and later connections skip the filter', async () => {
    const fh = await fixtureHarness('c/tcp.c', { failStrategy: 'FAIL_OPEN' });
    const c = await fh.connection();
    await c.sendDownstream('TRAP');
    expect(c.closed).toBeUndefined();
    expect(c.upstreamReceived()).toBe('TRAP');
    const next = await fh.connection();
    await next.sendDownstream('HOLD is ignored now');
    expect(next.upstreamReceived()).toBe('HOLD is ignored now');
  });

  it('FAIL_RELOAD: the next connection gets a fresh VM', async () => {
    const fh = await fixtureHarness('c/tcp.c', { failStrategy: 'FAIL_RELOAD' });
    const c = await fh.connection();
    await c.sendDownstream('TRAP');
    expect(c.closed?.by).toBe('failure');
    const next = await fh.connection();
    await next.sendDownstream('WRAP ok');
    expect(next.upstreamReceived()).toBe('[WRAP ok]');
  });
});
