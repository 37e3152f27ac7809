import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = await buildFixture('everything');
}, 300_000);

const req = (test: string) => ({ ':method': 'GET', ':path': '/', ':authority': 'example.com', 'x-test': test });

describe('sdk runtime: imports, abort, randomness, memory (through the host simulator)', () => {
  it('imports nothing but proxy-wasm host functions and WASI, and exports _initialize', () => {
    const mod = new WebAssembly.Module(readFileSync(module));
    const imports = WebAssembly.Module.imports(mod);
    for (const i of imports) expect(['env', 'wasi_snapshot_preview1']).toContain(i.module);
    expect(imports.filter((i) => i.module === 'env').every((i) => i.name.startsWith('proxy_'))).toBe(true);
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    expect(exports).toEqual(
      expect.arrayContaining([
        '_initialize',
        'memory',
        'proxy_abi_version_0_2_1',
        'proxy_on_memory_allocate',
        'proxy_on_context_create',
      ]),
    );
  });

  it('turns an abort into a critical log with message, file and line, then a trap', async () => {
    const h = await createHarness({ module, config: {}, failStrategy: 'FAIL_CLOSE' });
    const r = await h.request({ headers: req('abort') });
    expect(r.trap).toBeDefined();
    expect(r.trap?.callback).toBe('proxy_on_request_headers');
    const line = r.logs.find((l) => l.level === 'critical');
    expect(line?.message).toMatch(/^abort: boom at assembly\/index\.ts:\d+:\d+$/);
    expect(r.upstream.reached).toBe(false);
  });

  it('seeds Math.random from the host', async () => {
    const h = await createHarness({ module, config: {} });
    const r = await h.request({ headers: req('random') });
    expect(r.trap).toBeUndefined();
    expect(r.upstreamHeader('x-random')).toBe('ok');
  });

  it('keeps linear memory flat over 20,000 requests on one VM', async () => {
    const h = await createHarness({ module, config: { greeting: 'x' } });
    const spec = (i: number) => ({
      headers: { ...req(i % 2 ? 'headers' : 'body'), 'x-n': String(i) },
      body: 'payload '.repeat(16),
      response: { headers: { ':status': '200' }, body: 'response body '.repeat(8) },
    });
    for (let i = 0; i < 2_000; i++) await h.request(spec(i)); // warm-up: let the heap reach its working size
    const warm = h.memoryBytes();
    for (let i = 0; i < 20_000; i++) {
      const r = await h.request(spec(i));
      if (r.trap) throw new Error(`request ${i} trapped: ${r.trap.message}`);
    }
    expect(h.memoryBytes()).toBe(warm);
  });

  it('reclaims large buffered bodies: memory stops growing after the first requests', async () => {
    const h = await createHarness({ module, config: {} });
    const big = 'abcdefgh'.repeat(32 * 1024); // 256 KiB, buffered, upper-cased and rewritten
    const spec = { headers: req('body'), body: [big.slice(0, 100_000), big.slice(100_000)] };
    for (let i = 0; i < 5; i++) await h.request(spec);
    const warm = h.memoryBytes();
    for (let i = 0; i < 60; i++) {
      const r = await h.request(spec);
      if (r.upstream.body.length !== big.length + 2)
        throw new Error(`request ${i}: body of ${r.upstream.body.length} bytes`);
    }
    expect(h.memoryBytes()).toBe(warm);
  });
});
