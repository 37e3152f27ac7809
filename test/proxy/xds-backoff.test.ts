// The xDS reconnect backoff: Envoy's numbers (500 ms doubling to 30 s), jittered within the upper
// half of each ceiling, reset once the control plane answers. A fixed "random" makes it exact.
import { describe, expect, it } from 'vitest';
import { JitteredBackoff } from '../../proxy/xds-backoff.js';

describe('JitteredBackoff', () => {
  it('doubles its ceiling up to 30 s and draws each delay from the upper half', () => {
    const low = new JitteredBackoff({}, () => 0);
    const high = new JitteredBackoff({}, () => 1);
    const lows = Array.from({ length: 9 }, () => low.next());
    const highs = Array.from({ length: 9 }, () => high.next());
    expect(highs).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(lows).toEqual(highs.map((h) => h / 2));
  });

  it('starts over after reset, and honours configured bounds', () => {
    const b = new JitteredBackoff({ initialMs: 100, maxMs: 250 }, () => 1);
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 250]);
    b.reset();
    expect(b.next()).toBe(100);
  });
});
