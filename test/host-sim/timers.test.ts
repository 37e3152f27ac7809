// Timers on the virtual clock the test drives: proxy_set_tick_period_milliseconds, proxy_on_tick,
// time as the filter sees it, a period of 0 stopping the timer; and the root context's end of life
// (proxy_on_done answering false, proxy_done later, then proxy_on_delete), as in Envoy's
// WasmBase::startShutdown.
import { describe, expect, it } from 'vitest';
import { fixtureHarness, messages } from './fixture-harness.js';

const ticks = (logs: { message: string }[]) => messages(logs).filter((m) => m.startsWith('tick '));

describe('timers (c/timers.c)', () => {
  it('ticks once per elapsed period of virtual time, never on its own', async () => {
    const start = Date.UTC(2030, 0, 1);
    const h = await fixtureHarness('c/timers.c', { startTimeMs: start });
    expect(ticks(h.logs)).toEqual([]);
    await h.tick(999);
    expect(ticks(h.logs)).toEqual([]);
    await h.tick(1);
    expect(ticks(h.logs)).toEqual([`tick 1 at ${BigInt(start + 1000) * 1_000_000n}`]);
    await h.tick(2000);
    expect(ticks(h.logs)).toEqual([
      `tick 1 at ${BigInt(start + 1000) * 1_000_000n}`,
      `tick 2 at ${BigInt(start + 2000) * 1_000_000n}`,
      `tick 3 at ${BigInt(start + 3000) * 1_000_000n}`,
    ]);
    expect(h.metric('ticks')).toBe(3);
  });

  it('stops ticking after the filter sets the period to 0', async () => {
    const h = await fixtureHarness('c/timers.c');
    await h.tick(10_000);
    expect(ticks(h.logs)).toHaveLength(3);
    expect(h.metric('ticks')).toBe(3);
  });

  it('lets the root context defer its end: proxy_on_done answers false, proxy_done later, then proxy_on_delete', async () => {
    const h = await fixtureHarness('c/timers.c');
    h.close();
    expect(messages(h.logs)).toContain('done deferred');
    expect(messages(h.logs)).not.toContain('root deleted');
    expect(h.plugin.deleted).toBe(false);
    // The timer the filter re-armed at 10 ms still runs while shutdown is pending.
    await h.tick(10);
    const end = messages(h.logs)
      .slice(messages(h.logs).indexOf('done deferred'))
      .filter((m) => !m.startsWith('tick '));
    expect(end).toEqual(['done deferred', 'proxy_done status=0', 'root deleted']);
    expect(h.plugin.deleted).toBe(true);
    await h.tick(60_000);
    expect(messages(h.logs).slice(-1)).toEqual(['root deleted']);
  });
});
