/** A figure measured over repeated runs: the median, and how far the runs strayed from it. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  /** Half the range as a percentage of the median (the "±" in reports). */
  spreadPct: number;
  samples: number[];
}

export function stat(samples: number[]): Stat {
  if (samples.length === 0) return { median: 0, min: 0, max: 0, spreadPct: 0, samples: [] };
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return { median, min, max, spreadPct: median === 0 ? 0 : ((max - min) / 2 / median) * 100, samples };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Ratio of two figures, rounded for reports; undefined when the denominator is 0. */
export function ratio(a: number, b: number): number | undefined {
  if (!b) return undefined;
  return Math.round((a / b) * 1000) / 1000;
}
