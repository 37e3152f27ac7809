// Logging from a C filter: every proxy_log level, proxy_get_log_level, WASI fd_write on
// stdout/stderr, and what the host answers for a level that does not exist.
import { describe, expect, it } from 'vitest';
import { fixtureHarness, get } from './fixture-harness.js';

describe('logging (c/logging.c)', () => {
  it('keeps each proxy_log line with its level, in order', async () => {
    const h = await fixtureHarness('c/logging.c');
    const levels = h.logs.filter((l) => l.message.startsWith('level ')).map((l) => [l.level, l.message]);
    expect(levels).toEqual([
      ['trace', 'level trace'],
      ['debug', 'level debug'],
      ['info', 'level info'],
      ['warn', 'level warn'],
      ['error', 'level error'],
      ['critical', 'level critical'],
    ]);
  });

  it('answers proxy_get_log_level with the configured level', async () => {
    const trace = await fixtureHarness('c/logging.c');
    expect(trace.logs.map((l) => l.message)).toContain('host log level 0');
    const warn = await fixtureHarness('c/logging.c', { logLevel: 'warn' });
    expect(warn.logs.map((l) => l.message)).toContain('host log level 3');
  });

  it('logs WASI stdout at info and stderr at error, as the spec says', async () => {
    const h = await fixtureHarness('c/logging.c');
    const wasi = h.logs.filter((l) => l.message.includes('via fd_write')).map((l) => [l.level, l.message.trim()]);
    expect(wasi).toEqual([
      ['info', 'stdout via fd_write'],
      ['error', 'stderr via fd_write'],
    ]);
  });

  it("attributes a request's log lines to that request, with the :path it read", async () => {
    const h = await fixtureHarness('c/logging.c');
    const r = await h.request({ headers: get('/orders/42') });
    expect(r.logs.find((l) => l.message.startsWith('request path'))).toMatchObject({
      level: 'info',
      message: 'request path /orders/42',
    });
    expect(r.logs.some((l) => l.message.startsWith('level '))).toBe(false);
  });

  it('answers BadArgument (2) for an unknown log level and logs nothing for it', async () => {
    const h = await fixtureHarness('c/logging.c');
    const r = await h.request({ headers: get('/') });
    expect(r.upstreamHeader('x-log-bad-level')).toBe('2');
    expect(h.logs.some((l) => l.message === 'never shown')).toBe(false);
  });

  it('serves the virtual clock through both proxy_get_current_time_nanoseconds and WASI clock_time_get', async () => {
    const start = Date.UTC(2030, 0, 1);
    const h = await fixtureHarness('c/logging.c', { startTimeMs: start });
    const first = await h.request({ headers: get('/') });
    const proxyNs = (r: typeof first) =>
      BigInt(r.logs.find((l) => l.message.startsWith('proxy time ns '))!.message.slice(14));
    const wasiNs = (r: typeof first) =>
      BigInt(r.logs.find((l) => l.message.startsWith('wasi realtime ns '))!.message.slice(17));
    expect(proxyNs(first)).toBe(BigInt(start) * 1_000_000n);
    expect(wasiNs(first)).toBe(BigInt(start) * 1_000_000n);
    await h.tick(1500);
    const later = await h.request({ headers: get('/') });
    expect(proxyNs(later) - proxyNs(first)).toBe(1_500_000_000n);
    expect(wasiNs(later) - wasiNs(first)).toBe(1_500_000_000n);
  });

  it("drops lines below the configured level, as Envoy's logger does", async () => {
    const h = await fixtureHarness('c/logging.c', { logLevel: 'warn' });
    expect(h.logs.filter((l) => l.message.startsWith('level ')).map((l) => l.message)).toEqual([
      'level warn',
      'level error',
      'level critical',
    ]);
    // WASI stdout logs at info, stderr at error.
    expect(h.logs.filter((l) => l.message.includes('via fd_write')).map((l) => l.message.trim())).toEqual([
      'stderr via fd_write',
    ]);
  });
});
