// Shared data with compare-and-swap from a C filter: NotFound before the first write, a cas
// that must match for an update, CasMismatch for a stale one; values shared by every plugin of
// the same vm_id and invisible to other vm_ids.
import { describe, expect, it } from 'vitest';
import { runExchange } from '../../host-sim/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { fixtureHarness, get } from './fixture-harness.js';

describe('shared data (c/shared_data.c)', () => {
  it('creates the key, then increments it with the cas it read', async () => {
    const h = await fixtureHarness('c/shared_data.c');
    const first = await h.request({ headers: get('/') });
    expect([
      first.upstreamHeader('x-shared-get-status'),
      first.upstreamHeader('x-shared-set-status'),
      first.upstreamHeader('x-shared-hits'),
    ]).toEqual(['1', '0', '1']);
    expect(first.upstreamHeader('x-shared-stale-set')).toBe('-1');
    const second = await h.request({ headers: get('/') });
    expect([
      second.upstreamHeader('x-shared-get-status'),
      second.upstreamHeader('x-shared-set-status'),
      second.upstreamHeader('x-shared-hits'),
    ]).toEqual(['0', '0', '2']);
    expect(h.sharedData('hits')).toBe('2');
  });

  it('refuses a write with a stale cas (CasMismatch = 8) and keeps the value', async () => {
    const h = await fixtureHarness('c/shared_data.c');
    await h.request({ headers: get('/') });
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-shared-stale-set')).toBe('8');
    expect(h.sharedData('hits')).toBe('2');
  });

  it('shares values between plugins of the same vm_id, not across vm_ids', async () => {
    const h = await fixtureHarness('c/shared_data.c', { vmId: 'vm-a' });
    await h.request({ headers: get('/', { 'x-shared-write': 'from plugin one' }) });
    // A second plugin (another root context) on the same VM reads it.
    const second = h.host.startPlugin(h.vm, { name: 'second', rootId: 'second' });
    expect(second.id).not.toBe(h.plugin.id);
    const same = await runExchange(h.host, [second], { headers: get('/', { 'x-shared-read': 'note' }) });
    expect(same.upstream.headers).toContainEqual(['x-shared-value', 'from plugin one']);
    // Another VM with another vm_id sees nothing.
    const other = h.host.startPlugin(h.host.loadVm(await compileFixture('c/shared_data.c'), { vmId: 'vm-b' }), {
      name: 'other',
    });
    const isolated = await runExchange(h.host, [other], { headers: get('/', { 'x-shared-read': 'note' }) });
    expect(isolated.upstream.headers).toContainEqual(['x-shared-value-status', '1']);
  });
});
