// Start-up in the shapes other SDKs produce, as Envoy performs it: _initialize (WASI reactor)
// or _start (command, TinyGo), the allocator proxy_on_memory_allocate or else malloc (C++ SDK,
// TinyGo), proxy_on_context_create for the root context, proxy_on_vm_start with the VM
// configuration, proxy_on_configure with the plugin configuration (false rejects the plugin);
// and Go 1.24's pre-open scan, which needs fd_prestat_get to answer EBADF.
import { describe, expect, it } from 'vitest';
import { ConfigureError } from '../../host-sim/index.js';
import { fixtureHarness, get, messages } from './fixture-harness.js';

describe('start-up shapes', () => {
  it('C++ SDK shape: no _initialize, malloc only, root id read through the plugin_root_id property', async () => {
    const h = await fixtureHarness('c/startup_cpp_sdk.c', {
      rootId: 'my_root',
      vmConfig: 'vm-settings',
      config: { mode: 'strict' },
    });
    expect(messages(h.logs)).toEqual([
      'root context for my_root',
      'vm config vm-settings',
      'plugin config {"mode":"strict"}',
    ]);
    expect(h.vm.info.start).toBe('none');
    expect(h.vm.info.allocator).toBe('malloc');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-startup')).toBe('cpp-sdk-like');
  });

  it('Rust/Go shape: _initialize runs before proxy_on_vm_start, and the host allocates with proxy_on_memory_allocate, never malloc', async () => {
    const h = await fixtureHarness('c/startup_rust_go.c', { vmConfig: 'vm-1', config: 'plugin-1' });
    expect(messages(h.logs)).toEqual(['vm_start initialized=1 config=vm-1', 'configure plugin-1']);
    const r = await h.request({ headers: get('/') });
    const alloc = messages(r.logs).find((m) => m.startsWith('allocations '))!;
    const [, viaProxy, viaMalloc] = /proxy_on_memory_allocate=(\d+) malloc=(\d+)/.exec(alloc)!;
    // Two buffers were handed over at start-up (vm and plugin configuration).
    expect(Number(viaProxy)).toBeGreaterThanOrEqual(2);
    expect(Number(viaMalloc)).toBe(0);
    expect(r.upstreamHeader('x-startup')).toBe('rust-go-like');
  });

  it('TinyGo shape: _start runs before any callback, allocation through malloc', async () => {
    const h = await fixtureHarness('c/startup_tinygo.c', { config: 'tiny' });
    expect(messages(h.logs)).toEqual(['vm_start started=1', 'configure tiny']);
    expect(h.vm.info.start).toBe('_start');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-startup')).toBe('tinygo-like');
  });

  it("rejects a plugin whose proxy_on_configure returns false, with the filter's reason", async () => {
    const err = await fixtureHarness('c/startup_rust_go.c', { config: 'reject' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigureError);
    expect((err as Error).message).toMatch(/proxy_on_configure returned false/);
    expect((err as Error).message).toMatch(/rejecting configuration: reject$/);
  });

  it('Go 1.24 shape: the pre-open scan ends at the first fd because fd_prestat_get answers EBADF', async () => {
    const h = await fixtureHarness('wat/go124-start.wat');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-preopens-probed')).toBe('0001');
  });
});
