import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHarness } from 'meshwasm/harness';

// `npm test` builds build/release.wasm first (see package.json).
const module = fileURLToPath(new URL('../build/release.wasm', import.meta.url));
const config = JSON.parse(readFileSync(new URL('../config.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('tcp filter', () => {
  it('passes bytes both ways and logs the connection with its byte counts when it ends', async () => {
    const h = await createHarness({ module, config });
    const c = await h.connection({ properties: { 'source.address': '192.0.2.1:40000' } });
    await c.sendDownstream('PING 1\r\n');
    await c.sendUpstream('PONG\r\n');
    await c.halfCloseDownstream();
    await c.sendUpstream('', { end: true });
    expect(c.upstreamReceived()).toBe('PING 1\r\n');
    expect(c.downstreamReceived()).toBe('PONG\r\n');
    expect(c.closed?.by).toBe('client');
    expect(h.logs.map((l) => l.message)).toContain('connection from 192.0.2.1:40000: 8 bytes in, 6 bytes out');
  });

  it('counts connections and bytes', async () => {
    const h = await createHarness({ module, config });
    for (const chunk of ['abc', 'defgh']) {
      const c = await h.connection();
      await c.sendDownstream(chunk);
      await c.close();
    }
    expect(h.metric('tcp_connections_total')).toBe(2);
    expect(h.metric('tcp_downstream_bytes_total')).toBe(8);
  });

  it('closes a connection from a denied source before any byte reaches the upstream', async () => {
    const h = await createHarness({ module, config });
    const c = await h.connection({ properties: { 'source.address': '203.0.113.9:5555' } });
    await c.sendDownstream('hello');
    expect(c.closed?.by).toBe('filter');
    expect(c.upstreamReceived()).toBe('');
    expect(h.metric('tcp_denied_total')).toBe(1);
  });

  it('closes a connection whose first bytes are denied', async () => {
    const h = await createHarness({ module, config });
    const c = await h.connection();
    await c.sendDownstream('SHUTDOWN now');
    expect(c.closed?.by).toBe('filter');
    expect(c.upstreamReceived()).toBe('');
    expect(h.logs.map((l) => l.message).at(-1)).toMatch(/\(denied\)$/);
  });

  it('rejects a configuration that is not JSON', async () => {
    await expect(createHarness({ module, config: '{not json' })).rejects.toThrow(/not valid JSON/);
  });
});
