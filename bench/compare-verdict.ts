/**
 * The rule `bench --compare --max-regression` applies, kept apart from the measuring so it can be
 * checked on given numbers (docs/bench.md, "Comparing two modules").
 */

export interface TimeVerdictInput {
  /** B's µs per request over A's, one per run (both measured in the same run). */
  perRunRatios: number[];
  /** Allowed slowdown in percent (5 for "5%"). */
  maxRegressionPct: number;
}

export interface Verdict {
  checked: boolean;
  regressed: boolean;
  /** One sentence saying why, for the report and the error message. */
  reason: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (r: number) => `${((r - 1) * 100).toFixed(1)}%`;

/**
 * B regressed on time when both hold:
 * - the median of the per-run ratios B/A is above 1 + threshold (the size of the slowdown), and
 * - B was slower than A in every run (beyond the noise: if A and B cost the same, each run is a
 *   coin toss, so all n runs slower happens with probability 2^-n, a one-sided sign test; 5 runs
 *   give p = 0.031, 7 runs p = 0.008).
 * A single run can only show the size, not that it is beyond the noise: it never fails.
 */
export function timeVerdict({ perRunRatios, maxRegressionPct }: TimeVerdictInput): Verdict {
  const limit = 1 + maxRegressionPct / 100;
  const med = median(perRunRatios);
  const slower = perRunRatios.filter((r) => r > 1).length;
  const n = perRunRatios.length;
  if (med <= limit) {
    return { checked: true, regressed: false, reason: `median slowdown ${pct(med)} is within ${maxRegressionPct}%` };
  }
  if (n < 2 || slower < n) {
    return {
      checked: true,
      regressed: false,
      reason:
        `median slowdown ${pct(med)} is above ${maxRegressionPct}%, but B was slower in only ${slower} of ${n} runs: ` +
        'not beyond the noise (more --runs tell)',
    };
  }
  return {
    checked: true,
    regressed: true,
    reason: `median slowdown ${pct(med)} is above ${maxRegressionPct}% and B was slower in all ${n} runs (sign test p = ${(2 ** -n).toFixed(3)})`,
  };
}

/**
 * B regressed on metered units when it runs more than (1 + threshold) times A's units per
 * request. Units are counted, not timed, so no noise rule is needed.
 */
export function unitsVerdict(unitsA: number, unitsB: number, maxRegressionPct: number): Verdict {
  const limit = unitsA * (1 + maxRegressionPct / 100);
  const change = unitsA === 0 ? (unitsB === 0 ? 0 : Number.POSITIVE_INFINITY) : (unitsB / unitsA - 1) * 100;
  const what = `metered units per request ${unitsA} -> ${unitsB} (${Number.isFinite(change) ? `${change.toFixed(1)}%` : 'from 0'})`;
  return unitsB > limit
    ? { checked: true, regressed: true, reason: `${what} is above ${maxRegressionPct}%` }
    : { checked: true, regressed: false, reason: `${what} is within ${maxRegressionPct}%` };
}

export const NOT_CHECKED: Verdict = { checked: false, regressed: false, reason: 'no threshold given' };
