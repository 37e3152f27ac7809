// Bodies from a C filter: reading at offsets, the shapes of proxy_set_buffer_bytes Envoy
// supports (Buffer::copyFrom in context.cc: start 0 drains `length` bytes and prepends, a start
// at or past the end appends, anything else is BadArgument), and buffering by returning Pause
// from the body callback until end of stream.
import { describe, expect, it } from 'vitest';
import { fixtureHarness, messages, post } from './fixture-harness.js';

const CHUNKS = ['hello ', 'wasm ', 'world'];

async function send(op: string, body: string | string[] = CHUNKS) {
  const h = await fixtureHarness('c/bodies.c');
  return h.request({ headers: post('/upload', { 'x-body-op': op }), body });
}

describe('request body (c/bodies.c)', () => {
  it('buffers while the filter pauses: each call sees everything received so far', async () => {
    const r = await send('none');
    expect(messages(r.logs).filter((m) => m.startsWith('request body size='))).toEqual([
      'request body size=6 eos=0',
      'request body size=11 eos=0',
      'request body size=16 eos=1',
    ]);
    expect(r.upstream.body).toBe('hello wasm world');
  });

  it('streams chunk by chunk when the filter continues each one', async () => {
    const r = await send('stream');
    expect(messages(r.logs).filter((m) => m.startsWith('request body size='))).toEqual([
      'request body size=6 eos=0',
      'request body size=5 eos=0',
      'request body size=5 eos=1',
    ]);
    expect(r.upstream.body).toBe('hello wasm world');
  });

  it('reads at an offset, reports the size, and reads a start past the end as zero bytes, Ok (cpp-host)', async () => {
    const r = await send('none');
    expect(messages(r.logs)).toEqual(expect.arrayContaining(['slice=llo', 'status-size=16', 'past-end status=0']));
  });

  it.each([
    ['prepend', 0, '<<hello wasm world'],
    ['append', 0, 'hello wasm world&>>'],
    ['replace', 0, 'REPLACED'],
    ['partial', 0, '!ello wasm world'],
    ['middle', 2, 'hello wasm world'],
  ])('set_buffer_bytes %s answers %i and the upstream receives %j', async (op, status, upstream) => {
    const r = await send(op);
    expect(messages(r.logs)).toContain(`op=${op} status=${status}`);
    expect(r.upstream.body).toBe(upstream);
  });

  it('works on a body that arrives in one chunk', async () => {
    const r = await send('append', 'solo');
    expect(r.upstream.body).toBe('solo&>>');
  });
});

describe('response body (c/bodies.c)', () => {
  it('buffers the response and appends at end of stream, as the client sees it', async () => {
    const h = await fixtureHarness('c/bodies.c');
    const r = await h.request({
      headers: post('/'),
      response: { headers: { ':status': '200' }, body: ['part1,', 'part2'] },
    });
    expect(messages(r.logs).filter((m) => m.startsWith('response body'))).toEqual([
      'response body size=6 eos=0',
      'response body size=11 eos=1',
    ]);
    expect(r.downstream.body).toBe('part1,part2 [c]');
  });
});
