import { type MachineInfo, machineInfo } from './machine.js';
import type { BenchOptions } from './engine.js';
import { loadMeter } from '../host-sim/module/meter.js';
import { NOT_CHECKED, timeVerdict, unitsVerdict, type Verdict } from './compare-verdict.js';
import { SyncDriver, type DriverTally } from './driver.js';
import { passthroughModule } from './modules.js';
import { DEFAULT_REQUEST } from './scenario.js';
import { percentile, stat, type Stat } from './stats.js';
import { boot, meteredUnitsPerRequest, type Subject } from './subject.js';

/** `meshwasm bench --compare A.wasm B.wasm`: two modules alternating in one run. */

/** What both modules are run with: the same settings as a single-module bench. */
type SharedOptions = Pick<
  BenchOptions,
  | 'configuration'
  | 'vmConfig'
  | 'rootId'
  | 'requests'
  | 'clusters'
  | 'properties'
  | 'requestsPerRun'
  | 'durationSec'
  | 'warmupRequests'
  | 'onProgress'
>;

export interface CompareOptions extends SharedOptions {
  a: { module: Uint8Array; label: string };
  b: { module: Uint8Array; label: string };
  /** Timed runs (default 5): each run times A, B and the baseline once, in alternating order. */
  runs?: number;
  /** Requests in the metering pass (default 20000). */
  sampleRequests?: number;
  metered?: boolean;
  /**
   * The clock the difference and the time verdict use (default "cpu"): CPU time of the process
   * (user + system), or wall-clock time (see docs/bench.md for when each is steadier).
   */
  clock?: 'cpu' | 'wall';
  /** Allowed slowdown of B against A in µs per request, percent. */
  maxRegressionPct?: number;
  /** Allowed growth of B's metered units per request against A's, percent. */
  maxUnitsRegressionPct?: number;
}

export interface CompareSide {
  label: string;
  sizeBytes: number;
  /** Wall-clock µs per request, one sample per run. */
  usPerRequest: Stat;
  /** CPU µs (user + system, this process) per request, one sample per run. */
  cpuUsPerRequest: Stat;
  meteredUnitsPerRequest: number;
  outcome: DriverTally;
}

export interface CompareReport {
  machine: MachineInfo;
  settings: {
    runs: number;
    requestsPerRun: number;
    warmupRequests: number;
    sampleRequests: number;
    metered: boolean;
  };
  a: CompareSide;
  b: CompareSide;
  /** The empty pass-through module, timed in the same runs: what the host alone costs. */
  baseline: CompareSide;
  /** B against A, on the µs per request of the chosen clock (`basis`). */
  difference: {
    basis: 'cpu' | 'wall';
    /** Median of the per-run differences B - A, µs per request, and their range. */
    usPerRequest: { median: number; min: number; max: number };
    /** Median of the per-run ratios B / A, and their range (the spread). */
    ratio: { median: number; min: number; max: number; perRun: number[] };
    /** (median ratio - 1) in percent: positive when B is slower. */
    pct: number;
    /** The per-run ratios B / A on the other clock, for reference. */
    otherClock: { basis: 'cpu' | 'wall'; median: number; min: number; max: number };
    /** Runs in which B was slower than A. */
    slowerRuns: number;
    meteredUnits: { a: number; b: number; delta: number; pct: number | null };
  };
  /** A and B ended requests differently (one answered locally, for instance): not the same work. */
  outcomesDiffer: boolean;
  verdict: { time: Verdict; units: Verdict; regressed: boolean };
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

export async function runCompare(opts: CompareOptions): Promise<CompareReport> {
  const runs = Math.max(1, opts.runs ?? 5);
  const warmup = opts.warmupRequests ?? 20_000;
  const sample = opts.sampleRequests ?? 20_000;
  const requests = opts.requests ?? [DEFAULT_REQUEST];
  const progress = opts.onProgress ?? (() => {});
  const metered = opts.metered === true;
  await loadMeter();
  const limits = metered ? { limits: {} } : {};
  const subject = (label: string, bytes: Uint8Array, user: boolean): Subject => ({
    label,
    bytes,
    vmOpts: { label, ...(user ? { vmConfig: opts.vmConfig } : {}), ...limits },
    pluginOpts: user ? { rootId: opts.rootId, configuration: opts.configuration } : {},
  });
  const subjects = [
    subject(opts.a.label, opts.a.module, true),
    subject(opts.b.label, opts.b.module, true),
    subject('baseline (empty pass-through)', passthroughModule(), false),
  ];
  const timed = subjects.map((s) => {
    const { host, plugin } = boot(s, opts);
    return { driver: new SyncDriver(host, [plugin], requests), us: [] as number[], cpuUs: [] as number[] };
  });

  progress(`warming up (${warmup} requests each)`);
  let perRun = opts.requestsPerRun ?? 200_000;
  for (const t of timed) t.driver.run(warmup);
  if (opts.durationSec !== undefined) {
    // Sized on the slower of A and B after warm-up (the warm-up itself pays for compilation), so
    // that one run of one module takes about durationSec.
    const probe = 2000;
    let slowest = 0.05;
    for (const t of timed.slice(0, 2)) {
      const w0 = performance.now();
      t.driver.run(probe);
      slowest = Math.max(slowest, ((performance.now() - w0) * 1000) / probe);
    }
    perRun = Math.max(1000, Math.round((opts.durationSec * 1e6) / slowest));
  }
  for (let r = 0; r < runs; r++) {
    progress(`run ${r + 1}/${runs}: ${perRun} requests each`);
    // Mirrored order every other run (A B base, base B A): a machine that gets busier or quieter
    // during a run favours neither A nor B.
    const order = r % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    for (const i of order) {
      const t = timed[i]!;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      t.driver.run(perRun);
      t.us[r] = ((performance.now() - w0) * 1000) / perRun;
      t.cpuUs[r] = (cpuSeconds(process.cpuUsage(c0)) * 1e6) / perRun;
    }
    await new Promise<void>((res) => setImmediate(res));
  }

  progress('counting metered units');
  const units = subjects.map((s) => meteredUnitsPerRequest(s, opts, requests, Math.min(warmup, 1000), sample));

  const sides = subjects.map(
    (s, i): CompareSide => ({
      label: s.label,
      sizeBytes: s.bytes.length,
      usPerRequest: stat(timed[i]!.us),
      cpuUsPerRequest: stat(timed[i]!.cpuUs),
      meteredUnitsPerRequest: units[i]!,
      outcome: { ...timed[i]!.driver.tally },
    }),
  );
  const [a, b, baseline] = sides as [CompareSide, CompareSide, CompareSide];
  // CPU time by default: on a shared machine wall time also counts the time this process waited
  // for a core (docs/bench.md, "Comparing two modules", has the measurements behind the choice).
  const basis = opts.clock ?? 'cpu';
  const other = basis === 'cpu' ? 'wall' : 'cpu';
  const series = (i: number, clock: 'cpu' | 'wall') => (clock === 'cpu' ? timed[i]!.cpuUs : timed[i]!.us);
  const usA = series(0, basis);
  const usB = series(1, basis);
  const ratios = usA.map((ua, r) => usB[r]! / ua);
  const deltas = usA.map((ua, r) => usB[r]! - ua);
  const sortedRatios = [...ratios].sort((x, y) => x - y);
  const sortedDeltas = [...deltas].sort((x, y) => x - y);
  const otherRatios = series(0, other)
    .map((ua, r) => series(1, other)[r]! / ua)
    .sort((x, y) => x - y);
  const ratioMedian = stat(ratios).median;
  const unitsPct =
    a.meteredUnitsPerRequest === 0 ? null : (b.meteredUnitsPerRequest / a.meteredUnitsPerRequest - 1) * 100;
  const time =
    opts.maxRegressionPct === undefined
      ? NOT_CHECKED
      : timeVerdict({ perRunRatios: ratios, maxRegressionPct: opts.maxRegressionPct });
  const unitsCheck =
    opts.maxUnitsRegressionPct === undefined
      ? NOT_CHECKED
      : unitsVerdict(a.meteredUnitsPerRequest, b.meteredUnitsPerRequest, opts.maxUnitsRegressionPct);
  const ta = a.outcome;
  const tb = b.outcome;
  return {
    machine: machineInfo(),
    settings: { runs, requestsPerRun: perRun, warmupRequests: warmup, sampleRequests: sample, metered },
    a,
    b,
    baseline,
    difference: {
      basis,
      usPerRequest: {
        median: round(stat(deltas).median),
        min: round(sortedDeltas[0]!),
        max: round(percentile(sortedDeltas, 100)),
      },
      ratio: {
        median: round(ratioMedian),
        min: round(sortedRatios[0]!),
        max: round(percentile(sortedRatios, 100)),
        perRun: ratios.map((x) => round(x)),
      },
      pct: round((ratioMedian - 1) * 100, 2),
      otherClock: {
        basis: other,
        median: round(stat(otherRatios).median),
        min: round(otherRatios[0]!),
        max: round(percentile(otherRatios, 100)),
      },
      slowerRuns: ratios.filter((x) => x > 1).length,
      meteredUnits: {
        a: a.meteredUnitsPerRequest,
        b: b.meteredUnitsPerRequest,
        delta: round(b.meteredUnitsPerRequest - a.meteredUnitsPerRequest, 1),
        pct: unitsPct === null ? null : round(unitsPct, 2),
      },
    },
    outcomesDiffer:
      ta.reachedUpstream / ta.requests !== tb.reachedUpstream / tb.requests ||
      ta.localReplies / ta.requests !== tb.localReplies / tb.requests,
    verdict: { time, units: unitsCheck, regressed: time.regressed || unitsCheck.regressed },
  };
}
