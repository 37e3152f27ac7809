// The SDK's StreamContext (TCP filters) through the host simulator, on the filter that
// `meshwasm init --template tcp` writes (templates/tcp, built with this checkout's SDK).
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let module: string;
const config = { denySources: ['203.0.113.9'], denyFirstBytes: ['SHUTDOWN'] };
beforeAll(async () => {
  module = await buildFixture('tcp-template');
}, 300_000);

describe('sdk StreamContext on the tcp template', () => {
  it('routes all five network callbacks to the StreamContext and logs the connection at its end', async () => {
    const h = await createHarness({ module, config });
    const c = await h.connection({ properties: { 'source.address': '192.0.2.1:40000' } });
    await c.sendDownstream('PING 1\r\n');
    await c.sendDownstream('PING 2\r\n');
    await c.sendUpstream('PONG\r\n');
    await c.halfCloseDownstream();
    await c.sendUpstream('', { end: true });
    expect(c.upstreamReceived()).toBe('PING 1\r\nPING 2\r\n');
    expect(c.downstreamReceived()).toBe('PONG\r\n');
    expect(c.closed?.by).toBe('client');
    expect(h.logs.map((l) => l.message)).toContain('connection from 192.0.2.1:40000: 16 bytes in, 6 bytes out');
    expect(h.metric('tcp_upstream_bytes_total')).toBe(6);
    expect(h.metric('tcp_downstream_bytes_total')).toBe(16);
  });

  it('closeDownstream() from onNewConnection closes a denied source before any byte passes', async () => {
    const h = await createHarness({ module, config });
    const c = await h.connection({ properties: { 'source.address': '203.0.113.9:5555' } });
    await c.sendDownstream('hello');
    expect(c.closed).toMatchObject({ by: 'filter', reason: 'wasm_downstream_close' });
    expect(c.upstreamReceived()).toBe('');
    expect(h.metric('tcp_denied_total')).toBe(1);
    expect(h.logs.map((l) => l.message)).toContain(
      'closing connection from 203.0.113.9:5555: source 203.0.113.9 is denied',
    );
  });

  it('reads the DownstreamData buffer to deny by first bytes; later connections are unaffected', async () => {
    const h = await createHarness({ module, config });
    const bad = await h.connection();
    await bad.sendDownstream('SHUTDOWN now');
    expect(bad.closed?.by).toBe('filter');
    expect(bad.upstreamReceived()).toBe('');
    const good = await h.connection();
    await good.sendDownstream('SHUT the door');
    expect(good.closed).toBeUndefined();
    expect(good.upstreamReceived()).toBe('SHUT the door');
  });

  it('rejects a configuration that is not a JSON object', async () => {
    await expect(createHarness({ module, config: '[1]' })).rejects.toThrow(/must be a JSON object/);
  });
});
