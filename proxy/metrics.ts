import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Host } from '../host-sim/host.js';
import type { MetricValue } from '../host-sim/stores/metrics.js';
import type { AccessLogEntry, ProxyStats } from './stats.js';

export interface ProxyMetricsOptions {
  /** The workload this proxy stands in front of: istio_requests_total's destination_* labels. */
  workload?: string;
  namespace?: string;
  /** The upstream, as destination_service. */
  upstream: URL;
}

/** Envoy's default histogram buckets (source/common/stats/histogram_impl.h), in milliseconds. */
const ENVOY_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000];
/** Envoy's stat prefix of the HTTP connection manager of an Istio inbound listener. */
const HCM_PREFIX = 'inbound_0.0.0.0_80';

/**
 * The proxy's Prometheus metrics, named as Envoy's /stats/prometheus and Istio's stats filter
 * name theirs so existing dashboards read them:
 * - envoy_http_downstream_rq_* (Envoy's HTTP connection manager stats, with its tag labels);
 * - istio_requests_total and istio_request_duration_milliseconds with Istio's standard labels
 *   (reporter="destination": this proxy stands in front of its upstream as a sidecar's inbound);
 * - envoy_wasm_envoy_wasm_runtime_v8_created / _active, Envoy's per-runtime VM lifecycle stats
 *   (source/extensions/common/wasm/stats_handler.h; Node runs modules on V8);
 * - the filters' own metrics (proxy_define_metric) by their own names: Envoy keeps them in the
 *   "wasmcustom" namespace, which its Prometheus output strips, so they appear unprefixed;
 * - what Envoy does not count per callback is named meshwasm_wasm_*.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly rq: Counter;
  private readonly rqClass: Counter;
  private readonly rqTime: Histogram;
  private readonly istioRequests: Counter;
  private readonly istioDuration: Histogram;
  private readonly traps: Counter;
  private readonly vmCreated: Counter;
  private readonly vmFailed: Counter;
  private readonly vmReloads: Counter;
  private readonly fixed: Record<string, string>;

  constructor(
    private readonly host: Host,
    stats: ProxyStats,
    opts: ProxyMetricsOptions,
  ) {
    const registers = [this.registry];
    const hcm = ['envoy_http_conn_manager_prefix'];
    this.rq = new Counter({ name: 'envoy_http_downstream_rq_total', help: 'Requests.', labelNames: hcm, registers });
    this.rqClass = new Counter({
      name: 'envoy_http_downstream_rq_xx',
      help: 'Responses by status class.',
      labelNames: ['envoy_response_code_class', ...hcm],
      registers,
    });
    new Gauge({
      name: 'envoy_http_downstream_rq_active',
      help: 'Requests in flight.',
      labelNames: hcm,
      registers,
      collect() {
        this.set({ envoy_http_conn_manager_prefix: HCM_PREFIX }, stats.active);
      },
    });
    this.rqTime = new Histogram({
      name: 'envoy_http_downstream_rq_time',
      help: 'Request duration in milliseconds.',
      labelNames: hcm,
      buckets: ENVOY_BUCKETS,
      registers,
    });
    const cluster = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['envoy_cluster_name'],
        registers,
        collect() {
          this.set({ envoy_cluster_name: 'upstream' }, read());
        },
      });
    cluster('envoy_cluster_upstream_rq_timeout', 'Requests that hit the route timeout.', () => stats.upstreamTimeouts);
    cluster('envoy_cluster_upstream_cx_connect_fail', 'Upstream connection failures.', () => stats.upstreamFailures);
    const istioLabels = [
      'reporter',
      'source_workload',
      'source_workload_namespace',
      'destination_workload',
      'destination_workload_namespace',
      'destination_service',
      'destination_service_name',
      'request_protocol',
      'response_code',
      'response_flags',
      'connection_security_policy',
    ];
    this.istioRequests = new Counter({
      name: 'istio_requests_total',
      help: 'Requests, with Istio standard labels.',
      labelNames: istioLabels,
      registers,
    });
    this.istioDuration = new Histogram({
      name: 'istio_request_duration_milliseconds',
      help: 'Request duration in milliseconds, with Istio standard labels.',
      labelNames: istioLabels,
      buckets: ENVOY_BUCKETS,
      registers,
    });
    this.fixed = {
      reporter: 'destination',
      source_workload: 'unknown',
      source_workload_namespace: 'unknown',
      destination_workload: opts.workload ?? 'unknown',
      destination_workload_namespace: opts.namespace ?? 'unknown',
      destination_service: opts.upstream.host,
      destination_service_name: opts.upstream.hostname,
      request_protocol: 'http',
      connection_security_policy: 'none',
    };
    this.vmCreated = new Counter({
      name: 'envoy_wasm_envoy_wasm_runtime_v8_created',
      help: 'Wasm VMs created.',
      registers,
    });
    new Gauge({
      name: 'envoy_wasm_envoy_wasm_runtime_v8_active',
      help: 'Wasm VMs alive.',
      registers,
      collect() {
        this.set(host.plugins.length);
      },
    });
    this.vmFailed = new Counter({
      name: 'meshwasm_wasm_vm_failed_total',
      help: 'Wasm VMs that failed: at creation (create), in vm_start/configure (start), or trapped while serving (runtime).',
      labelNames: ['filter', 'phase'],
      registers,
    });
    this.vmReloads = new Counter({
      name: 'meshwasm_wasm_vm_reloads_total',
      help: 'Wasm VMs started again after a failure (fail_strategy FAIL_RELOAD).',
      labelNames: ['filter'],
      registers,
    });
    this.traps = new Counter({
      name: 'meshwasm_wasm_traps_total',
      help: 'Traps in stream callbacks, by filter and callback.',
      labelNames: ['filter', 'callback'],
      registers,
    });
    this.vmCreated.inc(0);
    this.instrumentHost();
  }

  /** Counts one finished request (called with the access log entry). */
  onRequest(e: AccessLogEntry): void {
    const hcm = { envoy_http_conn_manager_prefix: HCM_PREFIX };
    this.rq.inc(hcm);
    if (e.status > 0) this.rqClass.inc({ ...hcm, envoy_response_code_class: String(Math.floor(e.status / 100)) });
    this.rqTime.observe(hcm, e.durationMs);
    const labels = { ...this.fixed, response_code: String(e.status), response_flags: responseFlags(e) };
    this.istioRequests.inc(labels);
    this.istioDuration.observe(labels, e.durationMs);
    if (e.trap) {
      this.traps.inc({ filter: e.trap.filter, callback: e.trap.callback ?? 'unknown' });
      this.vmFailed.inc({ filter: e.trap.filter, phase: 'runtime' });
    }
  }

  /** The exposition: prom-client's metrics, then the filters' own. */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    const taken = new Set(this.registry.getMetricsAsArray().map((m) => m.name));
    return own + filterMetricsText(this.host.metrics.all(), taken);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Counts VM creation, start-up failures and reloads by decorating this host's loadVm and
   * startPlugin: host-sim stays free of metrics, and every way the proxy creates a VM (a chain
   * update, a FAIL_RELOAD restart) goes through these two calls.
   */
  private instrumentHost(): void {
    const host = this.host;
    const loadVm = host.loadVm.bind(host);
    const startPlugin = host.startPlugin.bind(host);
    const lastByName = new Map<string, (typeof host.plugins)[number]>();
    host.loadVm = (bytes, opts) => {
      try {
        const vm = loadVm(bytes, opts);
        this.vmCreated.inc();
        return vm;
      } catch (err) {
        this.vmFailed.inc({ filter: filterOfLabel(opts?.label), phase: 'create' });
        throw err;
      }
    };
    host.startPlugin = (vm, opts) => {
      const name = opts?.name ?? '';
      try {
        const plugin = startPlugin(vm, opts);
        if (lastByName.get(name)?.vm.failed) this.vmReloads.inc({ filter: name });
        lastByName.set(name, plugin);
        return plugin;
      } catch (err) {
        this.vmFailed.inc({ filter: name, phase: 'start' });
        throw err;
      }
    };
  }
}

const filterOfLabel = (label: string | undefined) => /filter "(.*)"/.exec(label ?? '')?.[1] ?? label ?? 'unknown';

/** Envoy's response flags (the access log's %RESPONSE_FLAGS%) this proxy can produce. */
function responseFlags(e: AccessLogEntry): string {
  if (e.reset) return 'DC';
  const d = e.localReply ?? '';
  if (d === 'upstream_response_timeout') return 'UT';
  if (d === 'cluster_not_found') return 'NC';
  if (d.startsWith('upstream_reset_before_response_started')) return 'UF';
  return '-';
}

/** A metric name as Envoy's Prometheus output writes it: anything but [a-zA-Z0-9_:] becomes _. */
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^([0-9])/, '_$1');

/**
 * Filter-defined metrics in Prometheus text form. Histograms keep their samples (host-sim's
 * store, bounded at 100k), so buckets are exact up to that many observations. A filter metric
 * whose name the proxy already exports (say a stats filter defining istio_requests_total) is left
 * out rather than exported twice, which Prometheus would reject as a whole scrape.
 */
export function filterMetricsText(metrics: MetricValue[], taken: Set<string>): string {
  const lines: string[] = [];
  for (const m of metrics) {
    const name = sanitize(m.name);
    if (taken.has(name)) continue;
    taken.add(name);
    lines.push(`# HELP ${name} Defined by a filter (proxy_define_metric "${m.name}").`);
    if (m.type !== 'histogram') {
      lines.push(`# TYPE ${name} ${m.type}`, `${name} ${m.value}`);
      continue;
    }
    const samples = m.samples ?? [];
    lines.push(`# TYPE ${name} histogram`);
    for (const le of ENVOY_BUCKETS) lines.push(`${name}_bucket{le="${le}"} ${samples.filter((v) => v <= le).length}`);
    lines.push(
      `${name}_bucket{le="+Inf"} ${samples.length}`,
      `${name}_sum ${m.value}`,
      `${name}_count ${samples.length}`,
    );
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
