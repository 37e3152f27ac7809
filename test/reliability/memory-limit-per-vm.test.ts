// Issue 14 item 3: a VM's linear memory is bounded (default 256 MiB, configurable). A module that
// grows towards 4 GiB is stopped at the limit, its VM fails (the request gets its policy's
// answer) and is replaced, and the replaced VM's memory is released. Real client -> proxy on
// 127.0.0.1 -> real upstream; the module is hand-written WAT (test/fixtures/wat/grow-memory.wat).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MEMORY_LIMIT_BYTES } from '../../host-sim/index.js';
import { startProxy, type AccessLogEntry, type RunningProxy } from '../../proxy/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { until } from './helpers.js';

const MiB = 1024 * 1024;
/** Thirty extra headers make the module grow (fetch's own headers stay well under). */
const GROW = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-pad-${i}`, '1']));

/**
 * Growing page by page to 256 MiB takes longer than the 100 ms callback deadline on a busy
 * machine; a long deadline keeps this suite about the memory limit alone.
 */
const ISOLATE = { callbackDeadlineMs: 60_000 };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let module: Uint8Array;
let up: TestUpstream;
let proxy: RunningProxy;
const log: AccessLogEntry[] = [];

beforeAll(async () => {
  module = await compileFixture('wat/grow-memory.wat');
  up = await startUpstream();
  proxy = await startProxy({
    upstream: up.url,
    limits: ISOLATE,
    filters: [{ kind: 'wasm', name: 'grower', module }],
    onAccessLog: (e) => log.push(e),
  });
});
afterAll(async () => {
  await proxy?.close();
  await up?.close();
});

describe('linear memory is bounded per VM', () => {
  it('defaults to 256 MiB', () => {
    expect(DEFAULT_MEMORY_LIMIT_BYTES).toBe(256 * MiB);
  });

  it('stops a module growing towards 4 GiB at the limit: its VM fails, the request gets 503 (FAIL_CLOSE)', async () => {
    const vm = proxy.host.plugins[0]!.vm;
    const res = await fetch(`${proxy.url}/grow`, { headers: GROW });
    expect(res.status).toBe(503);
    expect(vm.memoryBytes()).toBe(DEFAULT_MEMORY_LIMIT_BYTES);
    expect(vm.failed).toMatchObject({ limit: 'memory', callback: 'proxy_on_request_headers' });
    expect(log.at(-1)!.trap?.message).toBe(
      `linear memory reached the per-VM limit of 256 MiB (${DEFAULT_MEMORY_LIMIT_BYTES} bytes)`,
    );
  });

  it('replaces the failed VM for the next request and releases the old one', async () => {
    const released = new Set<string>();
    const registry = new FinalizationRegistry<string>((tag) => released.add(tag));
    registry.register(proxy.host.plugins[0]!.vm, 'failed VM');
    const res = await fetch(`${proxy.url}/after`);
    expect(res.status).toBe(200);
    expect(proxy.chain().filters[0]).toMatchObject({ reloads: 1, limitFailures: 1 });
    expect(proxy.host.plugins[0]!.vm.memoryBytes()).toBe(MiB);
    await until(() => {
      gc();
      return released.has('failed VM');
    }, 'the failed VM to be garbage-collected');
  });

  it('honours a configured limit, and refuses a module that needs more than the limit to start', async () => {
    const small = await startProxy({
      upstream: up.url,
      limits: { ...ISOLATE, memoryLimitBytes: 32 * MiB },
      filters: [{ kind: 'wasm', name: 'grower', module }],
    });
    try {
      const vm = small.host.plugins[0]!.vm;
      expect((await fetch(`${small.url}/grow`, { headers: GROW })).status).toBe(503);
      expect(vm.memoryBytes()).toBe(32 * MiB);
    } finally {
      await small.close();
    }
    await expect(
      startProxy({
        upstream: up.url,
        limits: { memoryLimitBytes: 64 * 1024 },
        filters: [{ kind: 'wasm', name: 'big-start', module: await compileFixture('c/bodies.c') }],
      }),
    ).rejects.toThrow(/needs \d+(\.\d+)? MiB of memory to start, over the per-VM limit of 0.0625 MiB/);
  });
});
