import { loadMeter } from '../module/meter.js';
import type { VmLimitOptions } from '../vm-limits.js';
import { readFile } from 'node:fs/promises';
import { LOG_LEVELS, type LogLevelName } from '../abi/constants.js';
import type { HeaderPairs } from '../abi/memory.js';
import { runExchange, type ExchangeResult, type RequestSpec } from '../exchange.js';
import { Host, type LogEntry } from '../host.js';
import type { ClusterTarget } from '../http-upstream.js';
import type { FailStrategy, Plugin } from '../plugin.js';
import { nestProperties } from '../properties.js';
import type { MetricValue } from '../stores/metrics.js';
import type { WasmVm } from '../vm.js';

export { ConfigureError, HostError } from '../errors.js';
export type { ExchangeResult, RequestSpec, ResponseSpec } from '../exchange.js';
export type { HttpCallAnswer, HttpCallResponder } from '../http-upstream.js';
export type { HttpCallRecord } from '../plugin.js';
export type { LogEntry } from '../host.js';

export interface HarnessOptions {
  /** Path to a .wasm file, or its bytes. */
  module: string | Uint8Array;
  /** Plugin configuration: an object (JSON-encoded), a string, or bytes. */
  config?: unknown;
  /** VM configuration, handed to proxy_on_vm_start. */
  vmConfig?: unknown;
  rootId?: string;
  pluginName?: string;
  vmId?: string;
  failStrategy?: FailStrategy;
  /** Targets of proxy_http_call, by cluster name: a responder function or a real upstream's base URL. */
  clusters?: Record<string, ClusterTarget>;
  /** Property overrides for every context ("source.address", "node.metadata", ...). */
  properties?: Record<string, unknown>;
  /** What proxy_get_log_level answers. Default trace, so tests see every line. */
  logLevel?: LogLevelName;
  /** WASI environment variables (Istio's vmConfig.env). */
  env?: Record<string, string>;
  /** Virtual clock start, ms since the epoch. */
  startTimeMs?: number;
  /** How errors name the module (default: its path). */
  label?: string;
  /**
   * Execution deadlines and memory limit (vm-limits.ts), as `meshwasm proxy` applies them; unset,
   * none (a test harness may single-step a filter in a debugger).
   */
  limits?: VmLimitOptions;
}

export interface RequestResult extends ExchangeResult {
  /** First value of a header as the upstream received it. */
  upstreamHeader(name: string): string | undefined;
  /** First value of a header as the client received it. */
  downstreamHeader(name: string): string | undefined;
}

export interface Harness {
  readonly host: Host;
  readonly plugin: Plugin;
  readonly vm: WasmVm;
  /** Every log line since the harness was created. */
  readonly logs: LogEntry[];
  request(spec: RequestSpec): Promise<RequestResult>;
  /** Advances the virtual clock by `ms`, running proxy_on_tick as periods elapse. */
  tick(ms: number): Promise<void>;
  /** A counter's or gauge's value (a histogram's sum), by the name the filter defined. */
  metric(name: string): number | undefined;
  metrics(): MetricValue[];
  /** Shared data under `key` for this VM's vm_id, as a string. */
  sharedData(key: string): string | undefined;
  /** Enqueues onto a shared queue the filter registered; proxy_on_queue_ready follows. */
  enqueue(queueName: string, data: string | Uint8Array): Promise<void>;
  /** Size of linear memory in bytes, for leak checks. */
  memoryBytes(): number;
  /** Shuts the plugin down as Envoy does: proxy_on_done, proxy_done if deferred, proxy_on_delete. */
  close(): void;
}

export function encodeConfig(config: unknown): Uint8Array {
  if (config === undefined || config === null) return new Uint8Array(0);
  if (config instanceof Uint8Array) return config;
  if (typeof config === 'string') return Buffer.from(config, 'utf8');
  return Buffer.from(JSON.stringify(config), 'utf8');
}

const first = (h: HeaderPairs, name: string) => h.find(([k]) => k === name.toLowerCase())?.[1];

/**
 * Loads a module the way Envoy would (start-up, vm_start, configure) and returns a handle that
 * plays requests through it. Throws ConfigureError when the filter refuses its configuration.
 */
export async function createHarness(opts: HarnessOptions): Promise<Harness> {
  const bytes = typeof opts.module === 'string' ? new Uint8Array(await readFile(opts.module)) : opts.module;
  const host = new Host({ clusters: opts.clusters, properties: opts.properties, startTimeMs: opts.startTimeMs });
  const label = opts.label ?? (typeof opts.module === 'string' ? opts.module : 'module');
  if (opts.limits) await loadMeter();
  const vmOpts = {
    vmId: opts.vmId ?? '',
    vmConfig: encodeConfig(opts.vmConfig),
    env: opts.env,
    label,
    limits: opts.limits,
  };
  const pluginOpts = {
    name: opts.pluginName ?? 'meshwasm',
    rootId: opts.rootId ?? '',
    configuration: encodeConfig(opts.config),
    failStrategy: opts.failStrategy ?? 'FAIL_CLOSE',
    properties: nestProperties({}),
  };
  const level = LOG_LEVELS.indexOf(opts.logLevel ?? 'trace');
  const boot = () => {
    const vm = host.loadVm(bytes, vmOpts);
    vm.logLevel = level;
    return host.startPlugin(vm, pluginOpts);
  };
  let plugin = boot();

  return {
    host,
    get plugin() {
      return plugin;
    },
    get vm() {
      return plugin.vm;
    },
    logs: host.logs,
    async request(spec) {
      // FAIL_RELOAD: a VM that trapped is replaced by a fresh one before the next request.
      if (plugin.vm.failed && plugin.failStrategy === 'FAIL_RELOAD') {
        host.plugins.splice(host.plugins.indexOf(plugin), 1);
        plugin = boot();
      }
      const r = await runExchange(host, [plugin], spec);
      return {
        ...r,
        upstreamHeader: (n: string) => first(r.upstream.headers, n),
        downstreamHeader: (n: string) => first(r.downstream.headers, n),
      };
    },
    async tick(ms) {
      host.advance(ms);
      await host.settle();
    },
    metric: (name) => host.metrics.lookup(name)?.value,
    metrics: () => host.metrics.all(),
    sharedData(key) {
      const e = host.sharedData.get(plugin.vm.vmId, key);
      return e ? Buffer.from(e.value).toString('utf8') : undefined;
    },
    async enqueue(name, data) {
      const id = host.queues.resolve(plugin.vm.vmId, name);
      if (id === undefined) throw new Error(`no shared queue "${name}" registered by vm_id "${plugin.vm.vmId}"`);
      host.queues.enqueue(id, typeof data === 'string' ? Buffer.from(data) : data);
      await host.settle();
    },
    memoryBytes: () => plugin.vm.memoryBytes(),
    close() {
      // Envoy's shutdown: proxy_on_done on every root context; one that defers (answers false)
      // stays until it calls proxy_done, so h.tick() can still drive it.
      for (const p of [...host.plugins]) p.shutdown();
    },
  };
}
