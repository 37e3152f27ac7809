// Several plugins and VMs in one host, as in one Envoy: filters chained in order (responses
// and local replies pass back through the filters before the one that answered), several root
// contexts on one VM, queues shared across VMs by vm_id, and a failing plugin that leaves the
// others untouched.
import { describe, expect, it } from 'vitest';
import { Host, runExchange } from '../../host-sim/index.js';
import { compileFixture } from '../fixtures/compile.js';
import { get, messages } from './fixture-harness.js';

async function plugin(
  host: Host,
  fixture: string,
  opts: { name: string; vmId?: string; rootId?: string; failStrategy?: 'FAIL_OPEN' | 'FAIL_CLOSE'; config?: string },
) {
  const vm = host.loadVm(await compileFixture(fixture), { vmId: opts.vmId ?? opts.name, label: fixture });
  return host.startPlugin(vm, {
    name: opts.name,
    rootId: opts.rootId,
    failStrategy: opts.failStrategy,
    configuration: opts.config ? Buffer.from(opts.config) : undefined,
  });
}

describe('several plugins in one host', () => {
  it('chains filters in order; a local reply from the second passes back through the first', async () => {
    const host = new Host();
    const first = await plugin(host, 'c/headers.c', { name: 'headers' });
    const second = await plugin(host, 'c/local_response.c', { name: 'deny' });
    const denied = await runExchange(host, [first, second], { headers: get('/deny') });
    expect(denied.upstream.reached).toBe(false);
    expect(denied.downstream.status).toBe(403);
    expect(denied.downstream.headers).toContainEqual(['x-response-filter', 'c']);
    const allowed = await runExchange(host, [first, second], { headers: get('/ok') });
    expect(allowed.upstream.headers).toContainEqual(['x-seen-path', '/ok']);
  });

  it('runs several root contexts (root_ids) on one VM, each told its own root id', async () => {
    const host = new Host();
    const vm = host.loadVm(await compileFixture('c/startup_cpp_sdk.c'), { vmId: 'shared' });
    host.startPlugin(vm, { name: 'one', rootId: 'root_one', configuration: Buffer.from('cfg-1') });
    host.startPlugin(vm, { name: 'two', rootId: 'root_two', configuration: Buffer.from('cfg-2') });
    expect(messages(host.logs).filter((m) => m.startsWith('root context') || m.startsWith('plugin config'))).toEqual([
      'root context for root_one',
      'plugin config cfg-1',
      'root context for root_two',
      'plugin config cfg-2',
    ]);
    expect(host.logs.find((l) => l.message === 'plugin config cfg-2')?.source).toBe('two');
  });

  it('delivers a queue item enqueued by another VM to the root context that registered the queue', async () => {
    const host = new Host();
    const collector = await plugin(host, 'c/shared_queue.c', { name: 'collector', vmId: 'collector' });
    const edge = await plugin(host, 'c/shared_queue.c', { name: 'edge', vmId: 'edge' });
    const r = await runExchange(host, [edge], { headers: get('/from-edge', { 'x-queue-vm': 'collector' }) });
    expect(r.upstream.headers).toContainEqual(['x-queue-enqueue', '0']);
    const delivered = host.logs.find((l) => l.message === 'dequeued /from-edge');
    expect(delivered?.source).toBe(collector.name);
  });

  it('keeps other plugins serving when one VM traps (FAIL_OPEN in the chain, a separate chain unaffected)', async () => {
    const host = new Host();
    const crashing = await plugin(host, 'c/trap_named.c', { name: 'crashing', failStrategy: 'FAIL_OPEN' });
    const healthy = await plugin(host, 'c/headers.c', { name: 'healthy' });
    const r = await runExchange(host, [crashing, healthy], { headers: get('/crash') });
    expect(r.trap).toMatchObject({
      filter: 'crashing',
      callback: 'proxy_on_request_headers',
      function: 'validate_token_or_crash',
    });
    expect(r.upstream.headers).toContainEqual(['x-seen-path', '/crash']);
    expect(crashing.vm.failed).toBeDefined();
    expect(healthy.vm.failed).toBeUndefined();
    const alone = await runExchange(host, [healthy], { headers: get('/later') });
    expect(alone.upstream.headers).toContainEqual(['x-seen-path', '/later']);
  });

  it('a FAIL_CLOSE plugin that trapped answers 503 for its chain only', async () => {
    const host = new Host();
    const crashing = await plugin(host, 'wat/trap-selectable.wat', { name: 'crashing', config: 'xx' });
    const healthy = await plugin(host, 'c/headers.c', { name: 'healthy' });
    const failed = await runExchange(host, [crashing, healthy], { headers: get('/') });
    expect([failed.downstream.status, failed.upstream.reached]).toEqual([503, false]);
    const other = await runExchange(host, [healthy], { headers: get('/fine') });
    expect([other.downstream.status, other.upstream.reached]).toEqual([200, true]);
  });

  it('keeps VMs apart: a plugin that failed to start does not stop the host loading the next', async () => {
    const host = new Host();
    await expect(plugin(host, 'wat/trap-everywhere.wat', { name: 'broken' })).rejects.toThrow(
      /trapped in proxy_on_context_create/,
    );
    const healthy = await plugin(host, 'c/headers.c', { name: 'healthy' });
    const r = await runExchange(host, [healthy], { headers: get('/x') });
    expect(r.upstream.headers).toContainEqual(['x-seen-path', '/x']);
  });
});
