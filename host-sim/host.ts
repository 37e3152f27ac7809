import { LOG_LEVELS, type LogLevelName } from './abi/constants.js';
import { VirtualClock } from './clock.js';
import { answerToOutcome, callRealUpstream, type ClusterTarget, type HttpCallOutcome } from './http-upstream.js';
import { scriptedGrpc, type GrpcCluster, type GrpcScript } from './grpc-upstream.js';
import { nestProperties, type PropertyValue } from './properties.js';
import type { HttpCallRequest, VmScope } from './context.js';
import { Plugin, type HttpCallRecord, type PluginHost, type PluginOptions } from './plugin.js';
import { MetricStore } from './stores/metrics.js';
import { SharedDataStore } from './stores/shared-data.js';
import { SharedQueueStore } from './stores/shared-queues.js';
import { WasmVm, type VmOptions } from './vm.js';
import { HostError, mostTellingLine, type VmTrap } from './errors.js';
import type { VmLimitOptions } from './vm-limits.js';

export interface LogEntry {
  level: LogLevelName;
  message: string;
  /** The plugin (or VM label) that logged it. */
  source: string;
}

export interface HostOptions {
  /** Targets of proxy_http_call by cluster name. */
  clusters?: Record<string, ClusterTarget>;
  /**
   * Targets of gRPC callouts by cluster name: a script (harness, scenarios) or a GrpcCluster
   * (the proxy's real gRPC client).
   */
  grpcClusters?: Record<string, GrpcScript | GrpcScript['reply'] | { cluster: GrpcCluster }>;
  /** Property defaults for every context (node.id, listener_direction, source.address, ...). */
  properties?: Record<string, unknown>;
  /** Start of the virtual clock, ms since the epoch. */
  startTimeMs?: number;
  /** Keep log lines in `logs` (benchmarks turn this off). Default true. */
  captureLogs?: boolean;
  /** Called for every log line, e.g. to print them. */
  onLog?: (entry: LogEntry) => void;
  /**
   * Called when work run on a later turn (a callout response, a queue notification) throws. Unset,
   * the error propagates (tests see it); a proxy sets it so one bad delivery cannot end the process.
   */
  onError?: (err: unknown) => void;
  /** Deadlines and memory limit for every VM loaded on this host (vm-limits.ts); unset: none. */
  vmLimits?: VmLimitOptions;
}

/** Envoy's defaults for the attributes a filter may read that do not come from the request. */
const DEFAULT_PROPERTIES = {
  source: { address: '10.0.0.2:52000', port: 52000 },
  destination: { address: '10.0.0.1:8080', port: 8080 },
  upstream: { address: '10.0.0.3:80', port: 80 },
  connection: { mtls: false, id: 1, requested_server_name: '' },
  node: { id: 'sidecar~10.0.0.1~meshwasm-sim.default~default.svc.cluster.local', cluster: 'meshwasm-sim.default' },
  listener_direction: 1,
  cluster_name: 'outbound|80||upstream.default.svc.cluster.local',
  route_name: 'default',
};

/**
 * One simulated proxy: the stores Envoy shares across VMs (stats, shared data, queues), the
 * virtual clock, the clusters http calls go to, and the log. VMs and plugins are created on it.
 */
export class Host implements PluginHost {
  readonly clock: VirtualClock;
  readonly metrics = new MetricStore();
  readonly sharedData = new SharedDataStore();
  readonly queues = new SharedQueueStore();
  readonly logs: LogEntry[] = [];
  readonly calls: HttpCallRecord[] = [];
  readonly vmTraps: VmTrap[] = [];
  properties: Record<string, PropertyValue>;
  private clusters: Map<string, ClusterTarget>;
  private grpc = new Map<string, GrpcCluster>();
  private ready: (() => void)[] = [];
  private inflight = new Set<Promise<unknown>>();
  private drainScheduled = false;
  readonly plugins: Plugin[] = [];
  captureLogs: boolean;

  constructor(private opts: HostOptions = {}) {
    this.clock = new VirtualClock(opts.startTimeMs);
    this.clusters = new Map(Object.entries(opts.clusters ?? {}));
    this.properties = nestProperties({ ...DEFAULT_PROPERTIES, ...(opts.properties ?? {}) });
    this.captureLogs = opts.captureLogs ?? true;
    for (const [name, t] of Object.entries(opts.grpcClusters ?? {})) this.setGrpcCluster(name, t);
  }

  /** Adds or replaces where gRPC callouts to `name` go. */
  setGrpcCluster(name: string, target: GrpcScript | GrpcScript['reply'] | { cluster: GrpcCluster }): void {
    const cluster =
      typeof target === 'object' && 'cluster' in target ? target.cluster : scriptedGrpc(target, (p) => this.track(p));
    this.grpc.set(name, cluster);
  }

  grpcCluster(name: string): GrpcCluster | undefined {
    return this.grpc.get(name);
  }

  /** Work in flight outside the VM (a delayed answer) that settle() waits for. */
  track(p: Promise<unknown>): void {
    const q = p.finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  /** Loads a module into a new VM and runs its start-up (_initialize/_start). */
  loadVm(bytes: Uint8Array, opts: VmOptions = {}): WasmVm {
    const vm = new WasmVm(
      this,
      bytes,
      this.opts.vmLimits && !opts.limits ? { ...opts, limits: this.opts.vmLimits } : opts,
    );
    const logStart = this.logs.length;
    try {
      vm.start();
    } catch (err) {
      // A runtime that panics in _initialize (Go's init functions run there) says why on stderr.
      if (!(err instanceof HostError)) throw err;
      const telling = mostTellingLine(this.logs.slice(logStart));
      if (telling) throw new HostError(err.kind, `${err.message}; the module logged: ${telling}`);
      throw err;
    }
    return vm;
  }

  /** Creates and starts a plugin (root context) on a VM: create, vm_start, configure. */
  startPlugin(vm: WasmVm, opts: PluginOptions = {}): Plugin {
    const plugin = new Plugin(this, vm, opts);
    // Start-up lines are kept even when the host keeps no log (a proxy): a refused configuration
    // quotes the filter's own reason from them (the NACK and `meshwasm status` show it).
    const keep = this.captureLogs;
    const before = this.logs.length;
    this.captureLogs = true;
    try {
      plugin.start();
    } finally {
      this.captureLogs = keep;
      if (!keep) this.logs.length = before;
    }
    this.plugins.push(plugin);
    return plugin;
  }

  log(vm: VmScope, level: LogLevelName, message: string): void {
    // Envoy's logger drops lines below its level; proxy_get_log_level tells the filter that level.
    if (LOG_LEVELS.indexOf(level) < vm.logLevel) return;
    // Nobody listening (benchmarks): skip building the entry.
    if (!this.captureLogs && !this.opts.onLog) return;
    const ctx = vm.current;
    const entry: LogEntry = { level, message, source: ctx?.plugin.name ?? vm.label };
    if (this.captureLogs) this.logs.push(entry);
    this.opts.onLog?.(entry);
  }

  setCluster(name: string, target: ClusterTarget): void {
    this.clusters.set(name, target);
  }

  hasCluster(name: string): boolean {
    return this.clusters.has(name);
  }

  recordCall(_plugin: Plugin, record: HttpCallRecord): void {
    if (this.captureLogs) this.calls.push(record);
  }

  dispatchHttpCall(req: HttpCallRequest, deliver: (o: HttpCallOutcome) => void): void {
    const target = this.clusters.get(req.cluster)!;
    let result: HttpCallOutcome | Promise<HttpCallOutcome>;
    try {
      if (typeof target === 'string') result = callRealUpstream(target, req);
      else {
        const a = target(req);
        result = a instanceof Promise ? a.then(answerToOutcome) : answerToOutcome(a);
      }
    } catch (err) {
      result = { failure: `responder for cluster "${req.cluster}" threw: ${(err as Error).message}` };
    }
    if (result instanceof Promise) {
      const p = result
        .then(
          (o) => this.post(() => deliver(o)),
          (err) => this.post(() => deliver({ failure: String(err) })),
        )
        .finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    } else {
      const o = result;
      this.post(() => deliver(o));
    }
  }

  /** Work that Envoy would run on the next turn of the worker's event loop. */
  post(fn: () => void): void {
    this.ready.push(fn);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        this.drain();
      });
    }
  }

  /** Runs everything that is ready now (http call responses that arrived, queue notifications). */
  drain(): void {
    while (this.ready.length > 0) {
      const fn = this.ready.shift()!;
      if (!this.opts.onError) fn();
      else
        try {
          fn();
        } catch (err) {
          this.opts.onError(err);
        }
    }
  }

  /** Waits until no http call is in flight and nothing is ready to run. */
  async settle(): Promise<void> {
    this.drain();
    while (this.inflight.size > 0) {
      await Promise.race(this.inflight);
      this.drain();
    }
    this.drain();
  }

  get busy(): boolean {
    return this.inflight.size > 0 || this.ready.length > 0;
  }

  /** Advances the virtual clock, running proxy_on_tick where periods elapsed. */
  advance(ms: number): void {
    const target = this.clock.nowMs + ms;
    // Step through each due tick in time order so ticks of different plugins interleave correctly.
    for (;;) {
      const due = this.plugins.filter((p) => p.tickPeriodMs > 0 && p.nextTickAtMs <= target && !p.vm.failed);
      if (due.length === 0) break;
      const next = Math.min(...due.map((p) => p.nextTickAtMs));
      this.clock.nowMs = next;
      for (const p of due) if (p.nextTickAtMs === next) p.runTicks(next);
      this.drain();
    }
    this.clock.nowMs = target;
  }
}
