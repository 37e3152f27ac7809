// Issue 14 item 8: a body a filter buffers is held as chunks (joined once, not on every chunk) and
// capped at Envoy's default per-stream buffer limit, 1 MiB: past it the client gets Envoy's 413
// on the request path and 500 on the response path. Real client -> proxy -> real upstream, the
// buffering filter is C compiled by clang (test/fixtures/c/bodies.c).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUFFER_LIMIT_BYTES } from '../../host-sim/filter-manager.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';

const MiB = 1024 * 1024;
let up: TestUpstream;
let proxy: RunningProxy;
/** Holds every response at its headers: the whole response body is buffered behind them. */
let holding: RunningProxy;

beforeAll(async () => {
  // The upstream answers /big with a body of the size the query asks for, in 64 KiB writes.
  up = await startUpstream(async (req, res, body) => {
    await body();
    const m = /size=(\d+)/.exec(req.url ?? '');
    if (m) {
      const size = Number(m[1]);
      // No content-length: a filter that changes the body's size keeps the message valid.
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'r');
      for (let sent = 0; sent < size; sent += chunk.length)
        res.write(chunk.subarray(0, Math.min(chunk.length, size - sent)));
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`got ${Buffer.byteLength(up.seen.at(-1)!.body)} bytes`);
  });
  const module = await compileFixture('c/bodies.c');
  proxy = await startProxy({ upstream: up.url, filters: [{ kind: 'wasm', name: 'bodies', module }] });
  const hold = await compileFixture('wat/hold.wat');
  holding = await startProxy({
    upstream: up.url,
    filters: [{ kind: 'wasm', name: 'hold', module: hold, configuration: 'rr' }],
  });
});
afterAll(async () => {
  await proxy?.close();
  await holding?.close();
  await up?.close();
});

/** A request body sent as many 16 KiB chunks (chunked transfer encoding). */
function chunkedBody(size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= size) return c.close();
      const n = Math.min(16 * 1024, size - sent);
      sent += n;
      c.enqueue(new Uint8Array(n).fill(0x61));
    },
  });
}
const post = (path: string, size: number) =>
  fetch(`${proxy.url}${path}`, {
    method: 'POST',
    headers: { 'x-body-op': 'append' },
    body: chunkedBody(size),
    duplex: 'half',
  } as RequestInit);

describe("bodies a filter buffers are bounded by Envoy's per-stream buffer limit", () => {
  it('defaults to 1 MiB, as Envoy', () => {
    expect(DEFAULT_BUFFER_LIMIT_BYTES).toBe(MiB);
  });

  it('buffers a body under the limit, chunk by chunk, and the filter sees and extends all of it', async () => {
    const res = await post('/small', 900 * 1024);
    expect(res.status).toBe(200);
    // bodies.c appends "&>>" to the complete request body.
    expect(up.seen.at(-1)!.body).toHaveLength(900 * 1024 + 3);
    expect(up.seen.at(-1)!.body.endsWith('a&>>')).toBe(true);
  });

  it('answers 413 Payload Too Large past the limit on the request path; the upstream never sees the request', async () => {
    const seen = up.seen.length;
    const res = await post('/too-big', 3 * MiB);
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('Payload Too Large');
    expect(up.seen.length).toBe(seen);
    expect(proxy.stats.requestsTooLarge).toBe(1);
  });

  it('answers 500 past the limit on the response path while the response headers are still held', async () => {
    const res = await fetch(`${holding.url}/big?size=${2 * MiB}`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal Server Error');
    expect(holding.stats.responsesTooLarge).toBe(1);
  });

  it('resets the stream past the limit once the response headers went out (as Envoy: too late for a 500)', async () => {
    // node:http holds the headers until the first body byte, so the client may see the reset
    // before or after them; either way the response never completes.
    const outcome = await fetch(`${proxy.url}/big?size=${2 * MiB}`)
      .then((r) => r.text())
      .then(
        () => 'complete',
        () => 'reset',
      );
    expect(outcome).toBe('reset');
    expect(proxy.stats.responsesTooLarge).toBe(1);
  });

  it('passes a response under the limit whole, with what the filter appended', async () => {
    const res = await fetch(`${proxy.url}/big?size=${512 * 1024}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toHaveLength(512 * 1024 + 4);
    expect(text.endsWith('r [c]')).toBe(true);
  });
});
