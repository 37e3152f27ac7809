// Which modules the host accepts, by the ABI marker they export: 0.2.1, 0.2.0 and 0.1.0 are
// hosted (0.1.0 with its two-argument header callbacks and proxy_get_configuration); a module
// without a marker, or one that imports what no proxy-wasm host provides, is refused at load
// time with a message that names the problem.
import { describe, expect, it } from 'vitest';
import { HostError } from '../../host-sim/index.js';
import { fixtureHarness, get, messages } from './fixture-harness.js';

async function loadError(fixture: string): Promise<Error> {
  const err = await fixtureHarness(fixture).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${fixture} should have been refused`).toBeInstanceOf(HostError);
  return err as Error;
}

describe('ABI versions', () => {
  it('hosts an ABI 0.1.0 module: header callbacks without end_of_stream, configuration via proxy_get_configuration', async () => {
    const h = await fixtureHarness('wat/abi-0_1_0.wat', { config: 'legacy-config' });
    expect(h.vm.abiVersion).toBe('0.1.0');
    expect(messages(h.logs)).toContain('config legacy-config');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-abi')).toBe('0.1.0');
    expect(r.downstreamHeader('x-abi-response')).toBe('0.1.0');
  });

  it('answers a missing header with OK and an empty value under ABI 0.1.0, as Envoy does (NotFound from 0.2.0 on)', async () => {
    const h = await fixtureHarness('wat/abi-0_1_0.wat');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-abi-missing')).toBe('0:00');
  });

  it('hosts an ABI 0.2.0 module with end_of_stream', async () => {
    const h = await fixtureHarness('wat/abi-0_2_0.wat');
    expect(h.vm.abiVersion).toBe('0.2.0');
    const r = await h.request({ headers: get('/') });
    expect([r.upstreamHeader('x-abi'), r.upstreamHeader('x-abi-eos')]).toEqual(['0.2.0', '1']);
    const withBody = await h.request({ headers: get('/'), body: 'b' });
    expect(withBody.upstreamHeader('x-abi-eos')).toBe('0');
  });

  it('hosts the C fixtures as ABI 0.2.1', async () => {
    const h = await fixtureHarness('c/headers.c');
    expect(h.vm.abiVersion).toBe('0.2.1');
  });

  it('refuses a module without an ABI marker, naming the markers it looked for', async () => {
    const err = await loadError('wat/no-abi-marker.wat');
    expect(err.message).toMatch(/wat\/no-abi-marker\.wat/);
    expect(err.message).toMatch(/proxy_abi_version_0_2_1/);
  });

  it('refuses a module that imports a host function no proxy provides, naming it', async () => {
    const err = await loadError('wat/unknown-import.wat');
    expect(err.message).toMatch(/env\.proxy_frobnicate/);
  });

  it('refuses a module that imports from a foreign module, naming module and function', async () => {
    const err = await loadError('wat/foreign-module-import.wat');
    expect(err.message).toMatch(/mystery_host\.do_things/);
  });

  it('refuses a module that exports no memory', async () => {
    const err = await loadError('wat/no-memory.wat');
    expect(err.message).toMatch(/memory/);
  });
});
