import { type MachineInfo, machineInfo } from './machine.js';
import type { RequestSpec } from '../host-sim/exchange.js';
import { Host } from '../host-sim/host.js';
import { loadMeter } from '../host-sim/module/meter.js';
import type { ClusterTarget } from '../host-sim/http-upstream.js';
import type { VmOptions } from '../host-sim/vm.js';
import type { ProxyLoadReport } from './proxy-types.js';
import { SyncDriver, type DriverTally } from './driver.js';
import { clockOverheadMs, countingImports, emptyCallbackTimes, inCallOrder, timeCallbacks } from './instrument.js';
import { passthroughModule } from './modules.js';
import { measureRoundTrip, type RoundTripReport } from './roundtrip.js';
import { DEFAULT_REQUEST } from './scenario.js';
import { boot, meteredUnitsPerRequest, type Subject } from './subject.js';
import { percentile, ratio, stat, type Stat } from './stats.js';

export interface BenchOptions {
  /** The filter under test. */
  module: Uint8Array;
  label?: string;
  configuration?: Uint8Array;
  vmConfig?: Uint8Array;
  rootId?: string;
  /** Requests played in turn (default: DEFAULT_REQUEST). */
  requests?: RequestSpec[];
  /** Targets of proxy_http_call; in-process benchmarks need synchronous answers. */
  clusters?: Record<string, ClusterTarget>;
  properties?: Record<string, unknown>;
  /** Timed runs per module, after warm-up (default 5). */
  runs?: number;
  /** Requests per timed run (default 200000), unless durationSec is given. */
  requestsPerRun?: number;
  /** Seconds per timed run instead: the request count is calibrated from the warm-up. */
  durationSec?: number;
  /** Requests played before timing (default 20000). */
  warmupRequests?: number;
  /** Requests in the counting, per-callback and latency passes (default 20000). */
  sampleRequests?: number;
  /** Host calls per run of the round-trip comparison (default 2000000). */
  roundTripCalls?: number;
  onProgress?: (message: string) => void;
  /**
   * Time the requests on metered, memory-limited VMs, as `meshwasm proxy` runs them (execution
   * deadlines, host-sim/vm-limits.ts). Default false: the filter's own cost.
   */
  metered?: boolean;
}

export interface LatencyFigures {
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Log-spaced buckets: requests whose latency was at most `upToUs` (and above the previous bucket). */
  histogram: { upToUs: number; count: number }[];
}

export interface ModuleFigures {
  label: string;
  sizeBytes: number;
  /** Validate, compile, instantiate and start-up (_initialize/_start). */
  instantiateMs: Stat;
  /** proxy_on_context_create + proxy_on_vm_start + proxy_on_configure of the root context. */
  configureMs: Stat;
  /** Requests per CPU-second of this process (user + system), i.e. per core. */
  requestsPerSecPerCore: Stat;
  /** Wall-clock µs per request. */
  usPerRequest: Stat;
  /**
   * Exclusive time per callback kind, measured in a separate pass with a clock around each call,
   * in the order Envoy calls them (context create, request headers/body/trailers, response
   * headers/body/trailers, log, done, delete; then any other).
   */
  callbacks: { name: string; perRequest: number; usPerCall: number }[];
  /**
   * Where the per-callback pass's time per request went; the four parts add up to its
   * `usPerRequest` (that pass's own wall time per request, clock cost subtracted, so it is close to
   * but not the timed figure above).
   */
  callbackPass: {
    usPerRequest: number;
    /** Sum over callbacks of calls per request x µs per call. */
    callbacksUsPerRequest: number;
    /** Host work deferred until a callback returned: local replies (and the filter manager's reply path), resumes. */
    deferredUsPerRequest: number;
    deferredPerRequest: number;
    /** Everything else the host did: stream and context set-up, header copies, the filter manager. */
    hostUsPerRequest: number;
  };
  /**
   * Metered units per request (function entries, loop iterations and returns the guest ran):
   * the deadline meter's count, a cost figure that does not depend on the machine's speed.
   */
  meteredUnitsPerRequest: number;
  hostCalls: { perRequest: number; byFunction: Record<string, number>; guestAllocationsPerRequest: number };
  memory: {
    initialBytes: number;
    afterWarmupBytes: number;
    finalBytes: number;
    /** Requests played on this VM by the end (warm-up included). */
    requests: number;
    /** Linear memory growth per 100k requests over the timed runs. */
    growthBytesPer100k: number;
    /** Memory still grew in the second half of the timed runs: likely a leak. */
    leak: boolean;
  };
  /** Per-request wall time in µs, measured in a separate pass (clock overhead subtracted). */
  latencyUs: LatencyFigures;
  outcome: DriverTally;
}

export interface BenchReport {
  machine: MachineInfo;
  settings: {
    runs: number;
    requestsPerRun: number;
    warmupRequests: number;
    sampleRequests: number;
    scenarioRequests: number;
  };
  filter: ModuleFigures;
  baseline: ModuleFigures;
  /** filter / baseline, on medians. */
  ratios: {
    usPerRequest?: number;
    requestsPerSecPerCore?: number;
    instantiateMs?: number;
    configureMs?: number;
    sizeBytes?: number;
  };
  /** What the filter adds to each request over the empty pass-through, µs (median difference). */
  addedUsPerRequest: number;
  roundTrip: RoundTripReport;
  /**
   * Checks with a target. `about: "machine"` checks the host simulator on this machine (the
   * baseline module and the host-call round trip), not the user's filter; `about: "filter"` checks
   * the filter.
   */
  targets: { about: 'machine' | 'filter'; name: string; target: string; value: string; met: boolean }[];
  /** --proxy mode: the same filter under a real load generator (added by runProxyLoad). */
  proxy?: ProxyLoadReport;
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** VM options every pass uses: metered and memory-limited when asked to time as the proxy runs. */
const limitsFor = (opts: BenchOptions): VmOptions => (opts.metered ? { limits: {} } : {});

/** Runs every pass for the filter and the baseline, alternating between them. */
export async function runBenchmark(opts: BenchOptions): Promise<BenchReport> {
  const runs = Math.max(1, opts.runs ?? 5);
  const warmup = opts.warmupRequests ?? 20_000;
  const sample = opts.sampleRequests ?? 20_000;
  const requests = opts.requests ?? [DEFAULT_REQUEST];
  const progress = opts.onProgress ?? (() => {});
  // The metering pass (and --metered) instrument modules with binaryen, loaded once.
  await loadMeter();
  const filter: Subject = {
    label: opts.label ?? 'module',
    bytes: opts.module,
    vmOpts: { label: opts.label, vmConfig: opts.vmConfig, ...limitsFor(opts) },
    pluginOpts: { rootId: opts.rootId, configuration: opts.configuration },
  };
  const baseline: Subject = {
    label: 'baseline (empty pass-through)',
    bytes: passthroughModule(),
    vmOpts: { label: 'baseline', ...limitsFor(opts) },
    pluginOpts: {},
  };
  const subjects = [filter, baseline];
  const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

  // Start-up cost, each subject on a fresh host every time.
  progress('measuring instantiation and configuration');
  const setup = subjects.map(() => ({ inst: [] as number[], conf: [] as number[] }));
  for (let r = 0; r < runs + 1; r++) {
    subjects.forEach((s, i) => {
      const host = new Host({ captureLogs: false, clusters: opts.clusters, properties: opts.properties });
      const t0 = performance.now();
      const vm = host.loadVm(s.bytes, s.vmOpts);
      const t1 = performance.now();
      host.startPlugin(vm, s.pluginOpts);
      const t2 = performance.now();
      // The first round only warms V8 up (its compile cache would flatter every later round anyway).
      if (r > 0) {
        setup[i]!.inst.push(t1 - t0);
        setup[i]!.conf.push(t2 - t1);
      }
    });
  }

  // Timed pass: requests through an uninstrumented host.
  const timed = subjects.map((s) => {
    const { host, plugin } = boot(s, opts);
    return {
      host,
      plugin,
      driver: new SyncDriver(host, [plugin], requests),
      initial: plugin.vm.memoryBytes(),
      mem: [] as number[],
      rps: [] as number[],
      us: [] as number[],
    };
  });
  progress(`warming up (${warmup} requests each)`);
  let perRun = opts.requestsPerRun ?? 200_000;
  const warmStart = performance.now();
  for (const t of timed) t.driver.run(warmup);
  const afterWarmup = timed.map((t) => t.plugin.vm.memoryBytes());
  if (opts.durationSec !== undefined) {
    // Calibrate from the filter's warm-up rate so one run takes about durationSec.
    const filterUs = ((performance.now() - warmStart) * 1000) / (warmup * 2);
    perRun = Math.max(1000, Math.round((opts.durationSec * 1e6) / Math.max(filterUs, 0.05)));
  }
  for (let r = 0; r < runs; r++) {
    progress(`run ${r + 1}/${runs}: ${perRun} requests each`);
    for (const t of timed) {
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      t.driver.run(perRun);
      const wall = performance.now() - w0;
      const cpu = cpuSeconds(process.cpuUsage(cpu0));
      t.rps.push(perRun / Math.max(cpu, 1e-6));
      t.us.push((wall * 1000) / perRun);
      t.mem.push(t.plugin.vm.memoryBytes());
    }
    await yieldToLoop();
  }

  // Counting pass: every host function wrapped, a fresh VM per subject.
  progress('counting host calls');
  const counted = subjects.map((s) => {
    const counts = new Map<string, number>();
    const { host, plugin } = boot(s, opts, { instrumentImports: countingImports(counts) });
    let allocations = 0;
    const mem = plugin.vm.mem;
    const allocate = mem.allocate;
    mem.allocate = (n) => {
      allocations++;
      return allocate(n);
    };
    counts.clear();
    new SyncDriver(host, [plugin], requests).run(sample);
    const byFunction: Record<string, number> = {};
    let total = 0;
    for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1])) {
      byFunction[name] = n / sample;
      total += n;
    }
    return { perRequest: total / sample, byFunction, guestAllocationsPerRequest: allocations / sample };
  });
  await yieldToLoop();

  // Metering pass: the units the deadline meter counts, on a metered VM per subject.
  progress('counting metered units');
  const units = subjects.map((s) => meteredUnitsPerRequest(s, opts, requests, Math.min(warmup, 1000), sample));
  await yieldToLoop();

  // Per-callback pass: a clock around each callback (exclusive time, clock cost subtracted).
  progress('timing callbacks');
  const overhead = clockOverheadMs();
  const perCallback = subjects.map((s) => {
    const { host, plugin } = boot(s, opts);
    const driver = new SyncDriver(host, [plugin], requests);
    const times = emptyCallbackTimes();
    const restore = timeCallbacks(plugin.vm, times, overhead);
    // Warm up with the clocks in place, then count afresh: V8 takes some 15k requests to settle
    // the wrapped call sites, and a pass timed before that charged every callback for it.
    driver.run(Math.min(warmup, 20_000));
    times.ms.clear();
    times.calls.clear();
    times.deferred = { ms: 0, count: 0 };
    const t0 = performance.now();
    driver.run(sample);
    const wallMs = performance.now() - t0;
    restore();
    const callbacks = inCallOrder(
      [...times.calls].map(([name, calls]) => ({
        name,
        perRequest: calls / sample,
        usPerCall: ((times.ms.get(name) ?? 0) * 1000) / calls,
      })),
    );
    // Each timed call or action paid for one pair of clock reads, subtracted from its own time:
    // take them off the pass's wall time as well so the parts add up.
    const timedCalls = [...times.calls.values()].reduce((a, b) => a + b, 0) + times.deferred.count;
    const usPerRequest = ((wallMs - overhead * timedCalls) * 1000) / sample;
    const callbacksUs = callbacks.reduce((sum, c) => sum + c.perRequest * c.usPerCall, 0);
    const deferredUs = (times.deferred.ms * 1000) / sample;
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    return {
      callbacks,
      pass: {
        usPerRequest: r3(usPerRequest),
        callbacksUsPerRequest: r3(callbacksUs),
        deferredUsPerRequest: r3(deferredUs),
        deferredPerRequest: times.deferred.count / sample,
        hostUsPerRequest: r3(usPerRequest - callbacksUs - deferredUs),
      },
    };
  });
  await yieldToLoop();

  // Latency pass: a clock around each request.
  progress('sampling request latency');
  const latency = timed.map((t) => {
    const us = new Float64Array(sample);
    for (let i = 0; i < sample; i++) {
      const t0 = performance.now();
      t.driver.one();
      us[i] = Math.max(0, (performance.now() - t0 - overhead) * 1000);
    }
    return latencyFigures(us.sort());
  });

  progress('measuring host-call overhead against a bare round trip');
  const roundTrip = measureRoundTrip(runs, opts.roundTripCalls ?? 2_000_000);

  const figures = subjects.map((s, i): ModuleFigures => {
    const t = timed[i]!;
    const timedRequests = runs * perRun;
    const last = t.mem[t.mem.length - 1]!;
    const mid = t.mem[Math.floor((t.mem.length - 1) / 2)]!;
    return {
      label: s.label,
      sizeBytes: s.bytes.length,
      instantiateMs: stat(setup[i]!.inst),
      configureMs: stat(setup[i]!.conf),
      requestsPerSecPerCore: stat(t.rps),
      usPerRequest: stat(t.us),
      callbacks: perCallback[i]!.callbacks,
      callbackPass: perCallback[i]!.pass,
      meteredUnitsPerRequest: Math.round(units[i]! * 10) / 10,
      hostCalls: counted[i]!,
      memory: {
        initialBytes: t.initial,
        afterWarmupBytes: afterWarmup[i]!,
        finalBytes: last,
        requests: t.driver.tally.requests,
        growthBytesPer100k: Math.round(((last - afterWarmup[i]!) / timedRequests) * 100_000),
        leak: runs > 1 ? last > mid : last > afterWarmup[i]!,
      },
      latencyUs: latency[i]!,
      outcome: { ...t.driver.tally },
    };
  });
  const [f, b] = figures as [ModuleFigures, ModuleFigures];
  const targets: BenchReport['targets'] = [
    {
      about: 'machine',
      name: 'machine check: host-call overhead vs bare JS->wasm->JS round trip',
      target: '<= 3x',
      value: `${roundTrip.ratio}x`,
      met: roundTrip.ratio <= 3,
    },
    {
      about: 'machine',
      name: 'machine check: the built-in empty pass-through module (not your filter), requests/s per core',
      target: '>= 500000',
      value: String(Math.round(b.requestsPerSecPerCore.median)),
      met: b.requestsPerSecPerCore.median >= 500_000,
    },
    {
      about: 'filter',
      name: 'filter: linear memory flat over the timed runs',
      target: 'no growth',
      value: `${f.memory.growthBytesPer100k} B per 100k requests`,
      met: !f.memory.leak,
    },
  ];
  return {
    machine: machineInfo(),
    settings: {
      runs,
      requestsPerRun: perRun,
      warmupRequests: warmup,
      sampleRequests: sample,
      scenarioRequests: requests.length,
    },
    filter: f,
    baseline: b,
    ratios: {
      usPerRequest: ratio(f.usPerRequest.median, b.usPerRequest.median),
      requestsPerSecPerCore: ratio(f.requestsPerSecPerCore.median, b.requestsPerSecPerCore.median),
      instantiateMs: ratio(f.instantiateMs.median, b.instantiateMs.median),
      configureMs: ratio(f.configureMs.median, b.configureMs.median),
      sizeBytes: ratio(f.sizeBytes, b.sizeBytes),
    },
    addedUsPerRequest: Math.round((f.usPerRequest.median - b.usPerRequest.median) * 1000) / 1000,
    roundTrip,
    targets,
  };
}

/** Latency percentiles and a log-spaced histogram (10 buckets per power of ten) of sorted µs samples. */
export function latencyFigures(sorted: Float64Array): LatencyFigures {
  const histogram: { upToUs: number; count: number }[] = [];
  if (sorted.length > 0) {
    const top = sorted[sorted.length - 1]!;
    let edge = 0.1;
    let i = 0;
    while (i < sorted.length) {
      let count = 0;
      while (i < sorted.length && sorted[i]! <= edge) {
        count++;
        i++;
      }
      histogram.push({ upToUs: Math.round(edge * 1000) / 1000, count });
      if (edge >= top) break;
      edge *= 10 ** 0.1;
    }
    // Leading empty buckets say nothing.
    while (histogram.length > 1 && histogram[0]!.count === 0) histogram.shift();
  }
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    samples: sorted.length,
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p99: r(percentile(sorted, 99)),
    p999: r(percentile(sorted, 99.9)),
    max: r(sorted.length ? sorted[sorted.length - 1]! : 0),
    histogram,
  };
}
