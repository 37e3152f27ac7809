// The fixture modules themselves: each builds from its source with the command in its
// comment, and exports/imports what the host tests rely on. If a fixture drifts (a renamed
// export, a libc call that drags in a new WASI import), this file says so before a host test
// fails for the wrong reason.
import { describe, expect, it } from 'vitest';
import { compileFixture, compileWatText, FixtureBuildError } from '../fixtures/compile.js';

const SPEC_V021_ENV = new Set([
  'proxy_log',
  'proxy_get_log_level',
  'proxy_done',
  'proxy_set_effective_context',
  'proxy_get_current_time_nanoseconds',
  'proxy_set_tick_period_milliseconds',
  'proxy_get_buffer_bytes',
  'proxy_set_buffer_bytes',
  'proxy_get_buffer_status',
  'proxy_get_header_map_size',
  'proxy_get_header_map_pairs',
  'proxy_set_header_map_pairs',
  'proxy_get_header_map_value',
  'proxy_add_header_map_value',
  'proxy_replace_header_map_value',
  'proxy_remove_header_map_value',
  'proxy_continue_stream',
  'proxy_close_stream',
  'proxy_send_local_response',
  'proxy_get_status',
  'proxy_http_call',
  'proxy_get_shared_data',
  'proxy_set_shared_data',
  'proxy_register_shared_queue',
  'proxy_resolve_shared_queue',
  'proxy_enqueue_shared_queue',
  'proxy_dequeue_shared_queue',
  'proxy_define_metric',
  'proxy_increment_metric',
  'proxy_record_metric',
  'proxy_get_metric',
  'proxy_get_property',
  'proxy_set_property',
]);
const WASI_SUBSET = new Set([
  'fd_write',
  'proc_exit',
  'clock_time_get',
  'random_get',
  'environ_get',
  'environ_sizes_get',
  'args_get',
  'args_sizes_get',
  'fd_prestat_get',
  'fd_prestat_dir_name',
]);

async function shape(fixture: string) {
  const module = new WebAssembly.Module(await compileFixture(fixture));
  return {
    exports: WebAssembly.Module.exports(module).map((e) => e.name),
    imports: WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`),
  };
}

const C_FILTERS: Record<string, string[]> = {
  'c/logging.c': ['proxy_on_configure', 'proxy_on_request_headers'],
  'c/headers.c': [
    'proxy_on_request_headers',
    'proxy_on_request_trailers',
    'proxy_on_response_headers',
    'proxy_on_response_trailers',
  ],
  'c/bodies.c': ['proxy_on_request_body', 'proxy_on_response_body'],
  'c/properties.c': ['proxy_on_request_headers'],
  'c/local_response.c': ['proxy_on_request_headers', 'proxy_on_request_body', 'proxy_on_response_headers'],
  'c/http_call.c': ['proxy_on_request_headers', 'proxy_on_http_call_response'],
  'c/timers.c': ['proxy_on_configure', 'proxy_on_tick', 'proxy_on_done', 'proxy_on_delete'],
  'c/metrics.c': ['proxy_on_configure', 'proxy_on_request_headers', 'proxy_on_log'],
  'c/shared_data.c': ['proxy_on_request_headers'],
  'c/shared_queue.c': ['proxy_on_configure', 'proxy_on_request_headers', 'proxy_on_queue_ready'],
  'c/stream_control.c': [
    'proxy_on_request_headers',
    'proxy_on_request_body',
    'proxy_on_response_headers',
    'proxy_on_queue_ready',
    'proxy_on_done',
    'proxy_on_log',
    'proxy_on_delete',
  ],
  'c/trap_named.c': ['proxy_on_request_headers', 'proxy_on_request_body', 'proxy_on_response_headers'],
};

describe('C fixtures built with Debian clang for wasm32-wasi', () => {
  for (const [fixture, callbacks] of Object.entries(C_FILTERS)) {
    it(`${fixture} is an ABI 0.2.1 reactor that imports only spec host calls and the WASI subset`, async () => {
      const { exports, imports } = await shape(fixture);
      expect(exports).toEqual(
        expect.arrayContaining([
          'memory',
          '_initialize',
          'malloc',
          'proxy_abi_version_0_2_1',
          'proxy_on_context_create',
          ...callbacks,
        ]),
      );
      for (const imp of imports) {
        const [mod, name] = imp.split('.') as [string, string];
        if (mod === 'env') expect(SPEC_V021_ENV, imp).toContain(name);
        else expect([mod, WASI_SUBSET.has(name)], imp).toEqual(['wasi_snapshot_preview1', true]);
      }
    });
  }

  it('the C++-SDK-like module exports malloc only: no _initialize, no _start, no proxy_on_memory_allocate', async () => {
    const { exports } = await shape('c/startup_cpp_sdk.c');
    expect(exports).toContain('malloc');
    expect(exports).not.toContain('_initialize');
    expect(exports).not.toContain('_start');
    expect(exports).not.toContain('proxy_on_memory_allocate');
  });

  it('the Rust/Go-like module exports _initialize and proxy_on_memory_allocate (and a decoy malloc)', async () => {
    const { exports } = await shape('c/startup_rust_go.c');
    expect(exports).toEqual(expect.arrayContaining(['_initialize', 'proxy_on_memory_allocate', 'malloc']));
    expect(exports).not.toContain('_start');
  });

  it('the TinyGo-like module exports _start and malloc, not _initialize', async () => {
    const { exports } = await shape('c/startup_tinygo.c');
    expect(exports).toEqual(expect.arrayContaining(['_start', 'malloc']));
    expect(exports).not.toContain('_initialize');
    expect(exports).not.toContain('proxy_on_memory_allocate');
  });

  it('trap_named.c keeps its function names in the name section', async () => {
    const bytes = await compileFixture('c/trap_named.c');
    const names = WebAssembly.Module.customSections(new WebAssembly.Module(bytes), 'name');
    expect(names.length).toBe(1);
    expect(Buffer.from(names[0]!).toString('latin1')).toContain('validate_token_or_crash');
  });
});

describe('hand-written WAT fixtures built with wabt', () => {
  it('no-abi-marker.wat exports no proxy_abi_version_*', async () => {
    const { exports } = await shape('wat/no-abi-marker.wat');
    expect(exports.filter((e) => e.startsWith('proxy_abi_version_'))).toEqual([]);
    expect(exports).toContain('proxy_on_request_headers');
  });

  it('no-memory.wat exports no memory', async () => {
    expect((await shape('wat/no-memory.wat')).exports).not.toContain('memory');
  });

  it.each([
    ['wat/abi-0_1_0.wat', 'proxy_abi_version_0_1_0'],
    ['wat/abi-0_2_0.wat', 'proxy_abi_version_0_2_0'],
  ])('%s declares %s', async (fixture, marker) => {
    expect((await shape(fixture)).exports).toContain(marker);
  });

  it('abi-0_1_0.wat uses the 0.1.0 header callback shape (context, num_headers) and proxy_get_configuration', async () => {
    const bytes = await compileFixture('wat/abi-0_1_0.wat');
    const instance = await WebAssembly.instantiate(bytes, {
      env: {
        proxy_log: () => 0,
        proxy_get_configuration: () => 0,
        proxy_add_header_map_value: () => 0,
        proxy_get_header_map_value: () => 0,
      },
    });
    expect((instance.instance.exports.proxy_on_request_headers as (...a: unknown[]) => unknown).length).toBe(2);
    expect((await shape('wat/abi-0_1_0.wat')).imports).toContain('env.proxy_get_configuration');
  });

  it('unknown-import.wat imports env.proxy_frobnicate; foreign-module-import.wat imports mystery_host.do_things', async () => {
    expect((await shape('wat/unknown-import.wat')).imports).toEqual(['env.proxy_frobnicate']);
    expect((await shape('wat/foreign-module-import.wat')).imports).toEqual(['mystery_host.do_things']);
  });

  it.each([
    'wat/trap-everywhere.wat',
    'wat/trap-selectable.wat',
    'wat/bad-pointers.wat',
    'wat/alloc-returns-zero.wat',
    'wat/alloc-out-of-range.wat',
    'wat/alloc-traps.wat',
    'wat/huge-allocation.wat',
    'wat/go124-start.wat',
  ])('%s builds and declares ABI 0.2.1', async (fixture) => {
    expect((await shape(fixture)).exports).toContain('proxy_abi_version_0_2_1');
  });

  it('trap-everywhere.wat traps in every callback it exports', async () => {
    const { instance } = await WebAssembly.instantiate(await compileFixture('wat/trap-everywhere.wat'));
    const callbacks = Object.entries(instance.exports).filter(
      ([name, v]) => typeof v === 'function' && name !== 'proxy_abi_version_0_2_1',
    );
    expect(callbacks.length).toBeGreaterThan(10);
    for (const [name, fn] of callbacks) {
      expect(() => (fn as (...a: number[]) => unknown)(1, 0, 0, 0, 0), name).toThrow(WebAssembly.RuntimeError);
    }
  });

  it('go124-start.wat gives up with a trap when fd_prestat_get never answers EBADF', async () => {
    const bytes = await compileFixture('wat/go124-start.wat');
    let probes = 0;
    const { instance } = await WebAssembly.instantiate(bytes, {
      wasi_snapshot_preview1: {
        fd_prestat_get: () => {
          probes++;
          return 0;
        },
      },
      env: { proxy_add_header_map_value: () => 0 },
    });
    expect(() => (instance.exports._initialize as () => void)()).toThrow(/unreachable/);
    expect(probes).toBe(1000);
  });
});

describe('compileFixture', () => {
  it('fails with the compiler output when a source does not build', async () => {
    const err = await compileWatText('(module (func $f (result i32) (i32.add)))').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FixtureBuildError);
    expect(String((err as Error).message)).toMatch(/wat2wasm[\s\S]*error/);
  });

  it('rejects paths outside test/fixtures', async () => {
    await expect(compileFixture('../../package.json')).rejects.toThrow(/outside test\/fixtures/);
  });

  it('returns the same bytes from its cache as from a fresh build', async () => {
    const a = await compileFixture('wat/abi-0_2_0.wat');
    const b = await compileFixture('wat/abi-0_2_0.wat');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(WebAssembly.validate(a)).toBe(true);
  });
});
