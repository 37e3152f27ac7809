import { WasmHttpFilter } from '../host-sim/wasm-filter.js';
import { createHash } from 'node:crypto';
import { LOG_LEVELS, type LogLevelName } from '../host-sim/abi/constants.js';
import type { FilterCallbacks, FilterStage } from '../host-sim/filter-manager.js';
import type { Host } from '../host-sim/host.js';
import type { Plugin } from '../host-sim/plugin.js';
import type { PropertyValue } from '../host-sim/properties.js';
import type { FilterSpec, RbacFilterSpec, WasmFilterSpec } from './filter-spec.js';
import { RbacStage } from './rbac-stage.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** What a filter contributes to one request: a stage, nothing (fail open), or a 503 (fail closed). */
export type RequestPart = { stage: (cb: FilterCallbacks) => FilterStage } | 'skip' | 'fail-closed';

/** A filter of a chain, loaded on the proxy's host. Chains that list the same filter share it. */
export interface LoadedFilter {
  readonly name: string;
  readonly kind: 'wasm' | 'rbac';
  /** Identity for reuse: an update that keeps a filter unchanged keeps its VM and its state. */
  readonly key: string;
  readonly sha256?: string;
  /** What it was loaded from (the admin's hot swap builds the next chain from these). */
  readonly spec: FilterSpec;
  /** Chains holding this filter; at zero it is disposed. */
  users: number;
  /** `props`: the request's connection properties, or a function building them when first read. */
  forRequest(props?: Record<string, PropertyValue> | (() => Record<string, PropertyValue>)): RequestPart;
  describe(): Record<string, unknown>;
  dispose(): void;
}

export function filterKey(spec: FilterSpec): string {
  if (spec.kind === 'rbac') return `rbac\0${spec.name}\0${spec.action}`;
  const config = spec.configuration ?? '';
  return [
    'wasm',
    spec.name,
    spec.sha256 ?? sha256(spec.module),
    spec.rootId ?? '',
    spec.vmId ?? '',
    sha256(typeof config === 'string' ? Buffer.from(config) : config),
    spec.failStrategy ?? 'FAIL_CLOSE',
    JSON.stringify(spec.env ?? {}),
  ].join('\0');
}

export function loadFilter(host: Host, spec: FilterSpec, logLevel: LogLevelName): LoadedFilter {
  return spec.kind === 'rbac' ? new LoadedRbacFilter(spec) : new LoadedWasmFilter(host, spec, logLevel);
}

class LoadedRbacFilter implements LoadedFilter {
  readonly kind = 'rbac';
  readonly name: string;
  readonly key: string;
  users = 0;
  constructor(readonly spec: RbacFilterSpec) {
    this.name = spec.name;
    this.key = filterKey(spec);
  }
  forRequest(): RequestPart {
    return { stage: (cb) => new RbacStage(this.name, this.spec.action, cb) };
  }
  describe() {
    return { name: this.name, kind: 'rbac', action: this.spec.action };
  }
  dispose(): void {}
}

/**
 * A wasm filter: one VM and one plugin (root context). Loading runs the module's start-up,
 * proxy_on_vm_start and proxy_on_configure, so a module that traps or refuses its
 * configuration throws here, before any chain uses it.
 */
class LoadedWasmFilter implements LoadedFilter {
  readonly kind = 'wasm';
  readonly name: string;
  readonly key: string;
  readonly sha256: string;
  users = 0;
  plugin: Plugin;
  /** Traps seen so far (each one fails the VM; FAIL_RELOAD starts a new one). */
  traps = 0;
  reloads = 0;
  /** VMs replaced because they hit a deadline or the memory limit. */
  limitFailures = 0;
  private disposed = false;

  constructor(
    private host: Host,
    readonly spec: WasmFilterSpec,
    private logLevel: LogLevelName,
  ) {
    this.name = spec.name;
    this.sha256 = spec.sha256 ?? sha256(spec.module);
    this.key = filterKey(spec);
    this.plugin = this.boot();
  }

  private boot(): Plugin {
    const s = this.spec;
    const vm = this.host.loadVm(s.module, {
      vmId: s.vmId ?? '',
      env: s.env,
      label: `module of filter "${s.name}"`,
      modulePath: s.modulePath,
    });
    vm.logLevel = LOG_LEVELS.indexOf(this.logLevel);
    const configuration = typeof s.configuration === 'string' ? Buffer.from(s.configuration) : s.configuration;
    return this.host.startPlugin(vm, {
      name: s.name,
      rootId: s.rootId ?? '',
      configuration,
      failStrategy: s.failStrategy ?? 'FAIL_CLOSE',
    });
  }

  forRequest(props?: Record<string, PropertyValue> | (() => Record<string, PropertyValue>)): RequestPart {
    const plugin = this.livePlugin();
    if (typeof plugin === 'string') return plugin;
    return { stage: (cb) => new WasmHttpFilter(plugin, props).bind(cb) };
  }

  /** The plugin a new request or connection runs on, after the failure policy had its say. */
  livePlugin(): Plugin | 'skip' | 'fail-closed' {
    const failed = this.plugin.vm.failed;
    if (failed) {
      const policy = this.plugin.failStrategy;
      // A VM the host stopped for a limit (deadline, memory) is replaced as FAIL_RELOAD would,
      // whatever the policy: the request that hit the limit already got its policy's answer, and
      // one pathological request must not take the filter out for good.
      const reload = policy === 'FAIL_RELOAD' || failed.limit !== undefined;
      if (!reload && policy === 'FAIL_OPEN') return 'skip';
      if (!reload) return 'fail-closed';
      // FAIL_RELOAD: a fresh VM for new requests; streams on the failed one are already done.
      try {
        this.retirePlugin();
        this.plugin = this.boot();
        this.reloads++;
        if (failed.limit) this.limitFailures++;
      } catch {
        return 'fail-closed';
      }
    }
    return this.plugin;
  }

  noteTrap(): void {
    this.traps++;
  }

  describe() {
    return {
      name: this.name,
      kind: 'wasm',
      sha256: this.sha256,
      rootId: this.spec.rootId ?? '',
      failStrategy: this.plugin.failStrategy,
      failed: this.plugin.vm.failed ?? null,
      traps: this.traps,
      reloads: this.reloads,
      limitFailures: this.limitFailures,
    };
  }

  private retirePlugin(): void {
    const i = this.host.plugins.indexOf(this.plugin);
    if (i >= 0) this.host.plugins.splice(i, 1);
  }

  /** Stops the plugin's timers; the VM is garbage once no stream references it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.retirePlugin();
  }
}

export function isWasmFilter(
  f: LoadedFilter,
): f is LoadedFilter & { noteTrap(): void; livePlugin(): Plugin | 'skip' | 'fail-closed' } {
  return f.kind === 'wasm';
}
