import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CONDITION_REASONS } from '../conditions.js';
import type { Resolver } from '../resolver/resolver.js';
import type { StatusReport } from '../status.js';
import { observeFetches, type FetchEvent } from './fetch-events.js';

/** What the metrics read from the control plane: its events, its status, its resolver. */
export interface ObservedControlPlane extends EventEmitter {
  status(): StatusReport;
  /** The connected proxies; cheaper than status() (no per-extension pass). */
  proxies(): readonly unknown[];
  readonly opts: { readonly resolver: Resolver };
}

export interface ControlPlaneMetrics {
  readonly registry: Registry;
  /** The Prometheus text exposition, for GET /metrics. */
  text(): Promise<string>;
  readonly contentType: string;
}

/**
 * The control plane's Prometheus metrics, one registry per control plane (tests run several in
 * one process). Names follow Istio where it has a counterpart, so istiod dashboards read them:
 * pilot_xds, pilot_xds_pushes{type}, pilot_total_xds_rejects{type} (pilot/pkg/xds/monitoring.go),
 * wasm_remote_fetch_count{result}, wasm_cache_lookup_count{hit}, wasm_cache_entries
 * (pkg/wasm/monitoring.go). What Istio does not count is named meshwasm_*.
 */
export function controlPlaneMetrics(cp: ObservedControlPlane): ControlPlaneMetrics {
  const registry = new Registry();
  const resolver = cp.opts.resolver;
  new Gauge({
    name: 'pilot_xds',
    help: 'Number of proxies connected to this control plane over xDS (ECDS).',
    registers: [registry],
    collect() {
      this.set(cp.proxies().length);
    },
  });
  const pushes = new Counter({
    name: 'pilot_xds_pushes',
    help: 'xDS responses sent to proxies, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const rejects = new Counter({
    name: 'pilot_total_xds_rejects',
    help: 'xDS responses proxies rejected (NACK), by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const acks = new Counter({
    name: 'meshwasm_xds_acks_total',
    help: 'xDS responses proxies accepted (ACK), by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  const fetches = new Counter({
    name: 'wasm_remote_fetch_count',
    help: 'Module fetches and their results: success, download_failure, checksum_mismatched.',
    labelNames: ['result'],
    registers: [registry],
  });
  const lookups = new Counter({
    name: 'wasm_cache_lookup_count',
    help: 'Module cache lookups, by hit.',
    labelNames: ['hit'],
    registers: [registry],
  });
  new Gauge({
    name: 'wasm_cache_entries',
    help: 'Modules in the cache.',
    registers: [registry],
    collect() {
      this.set(resolver.cache.list().length);
    },
  });
  new Gauge({
    name: 'meshwasm_wasm_cache_bytes',
    help: 'Bytes of modules in the cache.',
    registers: [registry],
    collect() {
      this.set(resolver.cache.totalBytes());
    },
  });
  const duration = new Histogram({
    name: 'meshwasm_wasm_fetch_duration_seconds',
    help: 'Time to resolve a module (cache lookup, digest resolution, download and verification).',
    labelNames: ['result', 'cache_hit'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'meshwasm_extensions',
    help: 'Extensions by the reason of their Ready condition (Serving, ServingPrevious, Degraded, Fallback, Invalid, Pending).',
    labelNames: ['condition'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(CONDITION_REASONS.map((r) => [r, 0]));
      for (const e of cp.status().extensions) counts.set(e.condition.reason, (counts.get(e.condition.reason) ?? 0) + 1);
      for (const [condition, n] of counts) this.set({ condition }, n);
    },
  });
  // Zero-valued series exist from the start, so rate() and alerts see them before the first event.
  pushes.inc({ type: 'ecds' }, 0);
  rejects.inc({ type: 'ecds' }, 0);
  acks.inc({ type: 'ecds' }, 0);

  // Bound once: a push or ACK per proxy per change should not hash labels every time.
  const ecdsPushes = pushes.labels({ type: 'ecds' });
  const ecdsAcks = acks.labels({ type: 'ecds' });
  const ecdsRejects = rejects.labels({ type: 'ecds' });
  cp.on('push', () => ecdsPushes.inc());
  cp.on('ack', () => ecdsAcks.inc());
  cp.on('nack', () => ecdsRejects.inc());
  observeFetches(resolver).on('fetch', (e: FetchEvent) => {
    if (e.phase === 'started') return;
    const seconds = e.durationMs / 1000;
    if (e.phase === 'succeeded') {
      lookups.inc({ hit: String(e.cacheHit) });
      if (!e.cacheHit) fetches.inc({ result: 'success' });
      duration.observe({ result: 'success', cache_hit: String(e.cacheHit) }, seconds);
    } else {
      fetches.inc({ result: e.kind === 'integrity' ? 'checksum_mismatched' : 'download_failure' });
      duration.observe({ result: 'failure', cache_hit: 'false' }, seconds);
    }
  });
  return { registry, text: () => registry.metrics(), contentType: registry.contentType };
}
