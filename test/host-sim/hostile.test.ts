// Hostile and broken modules: random bytes, truncated modules, traps in each callback, pointers
// outside memory, allocators that fail, memory exhaustion. Each must give a clear error or the
// failure policy's answer (FAIL_CLOSE: a 503 local reply; FAIL_OPEN: the request continues
// without the filter), and the host must stay up for the next module.
//
// Not covered: a module that loops forever. A JS host cannot pre-empt a running wasm function
// (V8's JS API has no epoch interruption or fuel), so such a module would hang the host; Envoy
// has the same exposure with V8 and relies on its watchdog.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigureError, Host, HostError, runExchange } from '../../host-sim/index.js';
import { compileFixture, compileWatText } from '../fixtures/compile.js';
import { fixtureHarness, get, messages, post } from './fixture-harness.js';

/** A host that just refused something still loads and runs a good module. */
async function stillServes(host: Host): Promise<void> {
  const plugin = host.startPlugin(host.loadVm(await compileFixture('c/headers.c')), { name: 'healthy' });
  const r = await runExchange(host, [plugin], { headers: get('/after') });
  expect(r.upstream.headers).toContainEqual(['x-seen-path', '/after']);
}

describe('modules that are not modules', () => {
  it.each([1, 7, 100, 4096])('refuses %i random bytes with a clear error, and keeps serving', async (n) => {
    const host = new Host();
    const bytes = randomBytes(n);
    expect(() => host.loadVm(bytes, { label: 'random.wasm' })).toThrow(HostError);
    expect(() => host.loadVm(bytes, { label: 'random.wasm' })).toThrow(
      /random\.wasm is not a (valid )?WebAssembly module/,
    );
    await stillServes(host);
  });

  it('refuses random bytes behind a valid header (magic + version 1)', async () => {
    const host = new Host();
    const bytes = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), randomBytes(256)]);
    expect(() => host.loadVm(bytes, { label: 'noise.wasm' })).toThrow(/noise\.wasm is not a valid WebAssembly module/);
    await stillServes(host);
  });

  it('refuses truncated modules at every cut, with a clear error', async () => {
    const good = await compileFixture('c/headers.c');
    const host = new Host();
    for (const cut of [4, 9, 64, Math.floor(good.length / 2), good.length - 1]) {
      expect(() => host.loadVm(good.subarray(0, cut), { label: `cut-${cut}.wasm` }), `cut at ${cut}`).toThrow(
        /cut-\d+\.wasm is not a (valid )?WebAssembly module/,
      );
    }
    // Cut right after the header it is a valid, empty module: refused for what it lacks.
    expect(() => host.loadVm(good.subarray(0, 8), { label: 'cut-8.wasm' })).toThrow(
      /cut-8\.wasm does not export a proxy-wasm ABI marker/,
    );
    await stillServes(host);
  });
});

describe('traps', () => {
  it('a module that traps in every callback cannot start: the error names the callback', async () => {
    const err = await fixtureHarness('wat/trap-everywhere.wat').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigureError);
    expect((err as Error).message).toMatch(/trapped in proxy_on_context_create/);
    expect((err as Error).message).toMatch(/unreachable/);
  });

  it('traps in proxy_on_vm_start or proxy_on_configure fail the plugin with the callback named', async () => {
    const vmStart = await fixtureHarness('wat/trap-selectable.wat', { vmConfig: 'xx' }).catch((e: unknown) => e);
    expect((vmStart as Error).message).toMatch(/trapped in proxy_on_vm_start/);
    const configure = await fixtureHarness('wat/trap-selectable.wat', { vmConfig: 'x' }).catch((e: unknown) => e);
    expect((configure as Error).message).toMatch(/trapped in proxy_on_configure/);
  });

  const STREAM_CALLBACKS: [number, string][] = [
    [1, 'proxy_on_context_create'],
    [2, 'proxy_on_request_headers'],
    [3, 'proxy_on_request_body'],
    [4, 'proxy_on_request_trailers'],
    [5, 'proxy_on_response_headers'],
    [6, 'proxy_on_response_body'],
    [7, 'proxy_on_response_trailers'],
  ];
  const fullRequest = {
    headers: post('/'),
    body: 'req',
    trailers: { 'x-t': '1' },
    response: { headers: { ':status': '200' }, body: 'resp', trailers: { 'x-rt': '1' } },
  };

  it.each(STREAM_CALLBACKS.slice(0, 5))(
    'FAIL_CLOSE: a trap in callback #%i (%s) ends the stream with a 503 naming the callback',
    async (mode, callback) => {
      const h = await fixtureHarness('wat/trap-selectable.wat', {
        config: 'x'.repeat(mode),
        failStrategy: 'FAIL_CLOSE',
      });
      const r = await h.request(fullRequest);
      expect(r.trap).toMatchObject({ callback, function: 'maybe_trap', policy: 'fail-closed' });
      expect(r.trap!.message).toMatch(/unreachable/);
      expect(r.downstream.status).toBe(503);
      expect(r.localReply?.details).toBe('wasm_fail_stream');
    },
  );

  it.each(STREAM_CALLBACKS.slice(5))(
    'FAIL_CLOSE: a trap in callback #%i (%s), after the response headers went out, resets the stream',
    async (mode, callback) => {
      // Envoy's failStream sends a local reply, which it turns into a reset once headers are sent.
      const h = await fixtureHarness('wat/trap-selectable.wat', {
        config: 'x'.repeat(mode),
        failStrategy: 'FAIL_CLOSE',
      });
      const r = await h.request(fullRequest);
      expect(r.trap).toMatchObject({ callback, function: 'maybe_trap', policy: 'fail-closed' });
      expect(r.downstream.status).toBe(200);
      expect(r.downstream.reset).toBe(true);
    },
  );

  it.each(STREAM_CALLBACKS)(
    'FAIL_OPEN: a trap in callback #%i (%s) lets the request through without the filter',
    async (mode, callback) => {
      const h = await fixtureHarness('wat/trap-selectable.wat', {
        config: 'x'.repeat(mode),
        failStrategy: 'FAIL_OPEN',
      });
      const r = await h.request(fullRequest);
      expect(r.trap).toMatchObject({ callback, policy: 'fail-open' });
      expect(r.upstream.reached).toBe(true);
      expect(r.upstream.body).toBe('req');
      expect([r.downstream.status, r.downstream.body]).toEqual([200, 'resp']);
    },
  );

  it("a trapped VM stays failed: later requests get the policy's answer without calling the module", async () => {
    const closed = await fixtureHarness('wat/trap-selectable.wat', { config: 'xx', failStrategy: 'FAIL_CLOSE' });
    await closed.request({ headers: get('/') });
    const next = await closed.request({ headers: get('/') });
    expect([next.downstream.status, next.upstream.reached]).toEqual([503, false]);
    expect(next.logs).toEqual([]);
    const open = await fixtureHarness('wat/trap-selectable.wat', { config: 'xx', failStrategy: 'FAIL_OPEN' });
    await open.request({ headers: get('/') });
    const passed = await open.request({ headers: get('/') });
    expect([passed.downstream.status, passed.upstream.reached]).toEqual([200, true]);
  });

  it('FAIL_RELOAD: the next request runs on a fresh VM', async () => {
    const h = await fixtureHarness('c/trap_named.c', { failStrategy: 'FAIL_RELOAD' });
    const crashed = await h.request({ headers: get('/crash') });
    expect(crashed.trap?.callback).toBe('proxy_on_request_headers');
    const next = await h.request({ headers: get('/fine') });
    expect(next.upstreamHeader('x-trap-fixture')).toBe('passed');
  });

  it('traps in on_log, on_done, on_delete and on_tick are reported and fail the VM for later requests', async () => {
    for (const [mode, callback] of [
      [8, 'proxy_on_log'],
      [9, 'proxy_on_done'],
      [10, 'proxy_on_delete'],
    ] as const) {
      const h = await fixtureHarness('wat/trap-selectable.wat', { config: 'x'.repeat(mode) });
      const r = await h.request({ headers: get('/') });
      expect(h.vm.failed?.callback, callback).toBe(callback);
      expect(r.upstream.reached).toBe(true);
      const after = await h.request({ headers: get('/') });
      expect(after.downstream.status, callback).toBe(503);
    }
    const tick = await fixtureHarness('wat/trap-selectable.wat', { config: 'x'.repeat(11) });
    await tick.tick(1000);
    expect(tick.vm.failed?.callback).toBe('proxy_on_tick');
    expect((await tick.request({ headers: get('/') })).downstream.status).toBe(503);
  });

  it.each([
    ['/crash', 'proxy_on_request_headers', 'validate_token_or_crash'],
    ['/crash-body', 'proxy_on_request_body', 'inspect_body_or_crash'],
    ['/crash-response', 'proxy_on_response_headers', 'rewrite_response_or_crash'],
  ])('names the C function from the name section: %s traps in %s, in %s', async (path, callback, fn) => {
    const h = await fixtureHarness('c/trap_named.c');
    const r = await h.request({ headers: post(path), body: 'payload' });
    expect(r.trap).toMatchObject({ callback, function: fn });
    expect(messages(r.logs)).toContain('about to crash');
    expect(r.downstream.status).toBe(503);
  });
});

describe('faults inside the guest', () => {
  // One-off shapes, small enough to read inline: each faults in proxy_on_request_headers.
  const guest = (body: string, extraImports = '') =>
    compileWatText(`(module
    ${extraImports}
    (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) (i32.const 1024))
    (func (export "proxy_on_context_create") (param i32 i32))
    ${body})`);

  it.each([
    [
      'a load outside linear memory',
      `(func $read_past_the_end (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (i32.load (i32.const 0xfffffff0)))`,
      /memory access out of bounds/,
      'read_past_the_end',
    ],
    [
      'unbounded recursion (stack overflow)',
      `(func $recurse (param i32) (result i32) (call $recurse (i32.add (local.get 0) (i32.const 1))))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $recurse (i32.const 0)))`,
      /call stack/,
      'recurse',
    ],
    [
      'an integer division by zero',
      `(func $divide (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (i32.div_u (i32.const 1) (local.get 2)))`,
      /divi/,
      'divide',
    ],
    [
      'proc_exit from a callback',
      `(func $bail_out (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (call $proc_exit (i32.const 3)) (i32.const 0))`,
      /proc_exit\(3\)/,
      undefined,
    ],
  ])(
    '%s ends the stream per the policy with a clear message, and the host keeps serving',
    async (_what, body, message, fn) => {
      const bytes = await guest(body, '(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))');
      const host = new Host();
      const plugin = host.startPlugin(host.loadVm(bytes, { label: 'faulty.wasm' }), { name: 'faulty' });
      // end_of_stream is 0 when a body follows: the division then divides by zero.
      const r = await runExchange(host, [plugin], { headers: post('/'), body: 'x' });
      expect(r.trap?.callback).toBe('proxy_on_request_headers');
      expect(r.trap?.message).toMatch(message);
      if (fn) expect(r.trap?.function).toBe(fn);
      expect(r.downstream.status).toBe(503);
      await stillServes(host);
    },
  );
});

describe('malformed serialized maps', () => {
  it.each([
    ['a count of 0xffffffff in a 4-byte map', 0xffffffff, 4],
    ['a count of 1000000 in a 64-byte map', 1_000_000, 64],
    ['lengths that run past the end', 1, 12],
  ])('%s is refused promptly without touching the headers, and the stream goes on', async (_what, count, size) => {
    // Map at 256: the count, then (for the last case) one key/value length pair claiming 1000 bytes.
    const bytes = await compileWatText(`(module
      (import "env" "proxy_set_header_map_pairs" (func $set_pairs (param i32 i32 i32) (result i32)))
      (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "x-set-pairs-status")
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "malloc") (param i32) (result i32) (i32.const 4096))
      (func (export "proxy_on_context_create") (param i32 i32))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (i32.store (i32.const 256) (i32.const ${count}))
        (i32.store (i32.const 260) (i32.const 1000))
        (i32.store (i32.const 264) (i32.const 1000))
        (i32.store8 (i32.const 200)
          (i32.add (i32.const 48) (call $set_pairs (i32.const 0) (i32.const 256) (i32.const ${size}))))
        (drop (call $add (i32.const 0) (i32.const 100) (i32.const 18) (i32.const 200) (i32.const 1)))
        (i32.const 0)))`);
    const host = new Host();
    const plugin = host.startPlugin(host.loadVm(bytes, { label: 'lying-map.wasm' }), { name: 'lying-map' });
    const r = await runExchange(host, [plugin], { headers: get('/kept') });
    expect(r.trap).toBeUndefined();
    expect(r.upstream.headers).toContainEqual([':path', '/kept']);
    // This host refuses the map (InvalidMemoryAccess). Envoy's PairsUtil::toPairs reads a
    // malformed map as empty instead, which clears the headers: a filter must not rely on either.
    expect(r.upstream.headers).toContainEqual(['x-set-pairs-status', '6']);
  });
});

describe('pointers and allocators', () => {
  it('answers InvalidMemoryAccess (6) for every pointer outside memory, WASI FAULT (21) for fd_write, and carries on', async () => {
    const h = await fixtureHarness('wat/bad-pointers.wat');
    const r = await h.request({ headers: get('/') });
    const report = Object.fromEntries(r.upstream.headers.filter(([k]) => k.startsWith('x-bad-')));
    expect(report).toEqual({
      'x-bad-log': '6',
      'x-bad-log-wrap': '6',
      'x-bad-get-return': '6',
      'x-bad-add-key': '6',
      'x-bad-set-pairs': '6',
      'x-bad-property-path': '6',
      'x-bad-local-reply': '6',
      'x-bad-shared-set': '6',
      'x-bad-metric-name': '6',
      'x-bad-time': '6',
      'x-bad-wasi-write': '21',
      'x-bad-wasi-iovec': '21',
    });
    expect(r.localReply).toBeUndefined();
    expect(r.trap).toBeUndefined();
    expect(r.downstream.status).toBe(200);
  });

  it.each(['wat/alloc-returns-zero.wat', 'wat/alloc-out-of-range.wat'])(
    '%s: calls that return data answer InvalidMemoryAccess (6); the module keeps running',
    async (fixture) => {
      const h = await fixtureHarness(fixture, { vmConfig: 'some vm config' });
      const r = await h.request({ headers: get('/') });
      expect([r.upstreamHeader('x-alloc-get-path'), r.upstreamHeader('x-alloc-vm-config')]).toEqual(['06', '06']);
      expect(r.trap).toBeUndefined();
      const again = await h.request({ headers: get('/') });
      expect(again.upstreamHeader('x-alloc-get-path')).toBe('06');
    },
  );

  it('an allocator that traps fails the callback that asked for data, named as the allocator', async () => {
    const atStart = await fixtureHarness('wat/alloc-traps.wat', { vmConfig: 'cfg' }).catch((e: unknown) => e);
    expect((atStart as Error).message).toMatch(/trapped in proxy_on_vm_start \(in allocator_crashes\)/);
    const h = await fixtureHarness('wat/alloc-traps.wat');
    const r = await h.request({ headers: get('/') });
    expect(r.trap).toMatchObject({ callback: 'proxy_on_request_headers', function: 'allocator_crashes' });
    expect(r.downstream.status).toBe(503);
  });
});

describe('memory exhaustion (wat/huge-allocation.wat)', () => {
  it('refuses growth beyond the limits; the module aborts and the stream ends per the policy', async () => {
    const h = await fixtureHarness('wat/huge-allocation.wat');
    const small = await h.request({ headers: get('/small') });
    expect(small.upstreamHeader('x-memory-pages')).toBe('001');
    const r = await h.request({ headers: get('/big') });
    expect(messages(r.logs)).toContain('memory.grow(65536) refused');
    expect(r.trap).toMatchObject({ callback: 'proxy_on_request_headers', function: 'out_of_memory' });
    expect(r.downstream.status).toBe(503);
    // From 1 page in steps of 16 under a maximum of 256: 241 pages, then memory.grow said no.
    expect(h.memoryBytes()).toBe(241 * 65536);
  });

  it('FAIL_OPEN lets the request through after the module ran out of memory', async () => {
    const h = await fixtureHarness('wat/huge-allocation.wat', { failStrategy: 'FAIL_OPEN' });
    const r = await h.request({ headers: get('/big') });
    expect(r.trap?.function).toBe('out_of_memory');
    expect([r.upstream.reached, r.downstream.status]).toEqual([true, 200]);
  });
});
