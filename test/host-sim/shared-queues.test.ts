// Shared queues from a C filter: register at configure, resolve by (vm_id, name), enqueue per
// request, proxy_on_queue_ready on the registering root context, Empty when drained, NotFound
// for unknown names and ids.
import { describe, expect, it } from 'vitest';
import { fixtureHarness, get, messages } from './fixture-harness.js';

describe('shared queues (c/shared_queue.c)', () => {
  it('registers, resolves and enqueues; the root context drains on proxy_on_queue_ready', async () => {
    const h = await fixtureHarness('c/shared_queue.c');
    expect(messages(h.logs).some((m) => /^registered queue \d+$/.test(m))).toBe(true);
    const r = await h.request({ headers: get('/first') });
    expect([r.upstreamHeader('x-queue-resolve'), r.upstreamHeader('x-queue-enqueue')]).toEqual(['0', '0']);
    expect(messages(h.logs)).toEqual(expect.arrayContaining(['dequeued /first', 'drained status=7']));
  });

  it('delivers items the test enqueues, in order', async () => {
    const h = await fixtureHarness('c/shared_queue.c');
    await h.enqueue('events', 'a');
    await h.enqueue('events', 'b');
    const drained = messages(h.logs).filter((m) => m.startsWith('dequeued '));
    expect(drained).toEqual(['dequeued a', 'dequeued b']);
  });

  it('answers NotFound (1) for an unknown queue name and an unknown queue id', async () => {
    const h = await fixtureHarness('c/shared_queue.c');
    const r = await h.request({ headers: get('/') });
    expect([r.upstreamHeader('x-queue-resolve-unknown'), r.upstreamHeader('x-queue-enqueue-unknown')]).toEqual([
      '1',
      '1',
    ]);
  });

  it('resolves queues by vm_id: another vm_id finds nothing', async () => {
    const h = await fixtureHarness('c/shared_queue.c', { vmId: 'collector' });
    const found = await h.request({ headers: get('/', { 'x-queue-vm': 'collector' }) });
    expect(found.upstreamHeader('x-queue-resolve')).toBe('0');
    const missing = await h.request({ headers: get('/', { 'x-queue-vm': 'someone-else' }) });
    expect(missing.upstreamHeader('x-queue-resolve')).toBe('1');
  });
});
