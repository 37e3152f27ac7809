import { describe, expect, it } from 'vitest';
import { runCompare } from '../../bench/compare.js';
import { formatCompareTable } from '../../bench/compare-table.js';
import { timeVerdict, unitsVerdict } from '../../bench/compare-verdict.js';
import { fixture, wat2wasm } from './wat.js';

// Small counts keep the suite quick; no figure that depends on speed is asserted.
const small = { runs: 3, requestsPerRun: 2000, warmupRequests: 500, sampleRequests: 500 };

describe('bench --compare: the regression rule on given per-run ratios', () => {
  it('time: fails only when the median slowdown passes the threshold and B was slower in every run', () => {
    expect(timeVerdict({ perRunRatios: [1.1, 1.12, 1.08, 1.2, 1.09], maxRegressionPct: 5 }).regressed).toBe(true);
    // Same median, one run where B was faster: not beyond the noise.
    const noisy = timeVerdict({ perRunRatios: [1.1, 1.12, 0.98, 1.2, 1.09], maxRegressionPct: 5 });
    expect(noisy.regressed).toBe(false);
    expect(noisy.reason).toContain('4 of 5 runs');
    // Slower every time, by less than the threshold.
    expect(timeVerdict({ perRunRatios: [1.02, 1.03, 1.01], maxRegressionPct: 5 }).regressed).toBe(false);
    // One run shows a size, never a verdict.
    expect(timeVerdict({ perRunRatios: [2], maxRegressionPct: 5 }).regressed).toBe(false);
    expect(timeVerdict({ perRunRatios: [1.2, 1.3], maxRegressionPct: 5 }).reason).toContain('p = 0.250');
  });

  it('units: fails when B counts more than (1 + threshold) times A, from 0 too', () => {
    expect(unitsVerdict(100, 105, 5).regressed).toBe(false);
    expect(unitsVerdict(100, 105.1, 5).regressed).toBe(true);
    expect(unitsVerdict(100, 50, 0).regressed).toBe(false);
    expect(unitsVerdict(0, 1, 50).regressed).toBe(true);
    expect(unitsVerdict(0, 0, 0).regressed).toBe(false);
  });
});

describe('bench --compare engine (hand-written WAT filters)', () => {
  const fast = wat2wasm(fixture('header-rw.wat'));
  const slow = wat2wasm(fixture('header-rw-slow.wat'));

  it('a module against itself: the same metered units, one per-run ratio per run, no regression', async () => {
    const rep = await runCompare({
      a: { module: fast, label: 'a' },
      b: { module: fast, label: 'b' },
      ...small,
      maxUnitsRegressionPct: 0,
    });
    expect(rep.a.meteredUnitsPerRequest).toBe(rep.b.meteredUnitsPerRequest);
    expect(rep.difference.meteredUnits).toMatchObject({ delta: 0, pct: 0 });
    expect(rep.difference.ratio.perRun).toHaveLength(3);
    expect(rep.a.usPerRequest.samples).toHaveLength(3);
    expect(rep.baseline.usPerRequest.samples).toHaveLength(3);
    expect(rep.difference.ratio.min).toBeLessThanOrEqual(rep.difference.ratio.median);
    expect(rep.difference.ratio.max).toBeGreaterThanOrEqual(rep.difference.ratio.median);
    expect(rep.verdict.units).toMatchObject({ checked: true, regressed: false });
    expect(rep.verdict.time.checked).toBe(false);
    expect(rep.verdict.regressed).toBe(false);
    expect(rep.outcomesDiffer).toBe(false);
    // Each module played the warm-up and every run: the same number of requests.
    expect(rep.a.outcome.requests).toBe(500 + 3 * 2000);
    expect(rep.b.outcome.requests).toBe(rep.a.outcome.requests);
  });

  it('a deliberately slower module: exactly its 1000 extra loop iterations per request, a units regression', async () => {
    const rep = await runCompare({
      a: { module: fast, label: 'header-rw' },
      b: { module: slow, label: 'header-rw-slow' },
      ...small,
      maxUnitsRegressionPct: 5,
    });
    expect(rep.difference.meteredUnits.delta).toBe(1000);
    expect(rep.verdict.units.regressed).toBe(true);
    expect(rep.verdict.regressed).toBe(true);
    const text = formatCompareTable(rep);
    expect(text).toContain('REGRESSION  units');
    expect(text).toContain('header-rw-slow');
  });
});
