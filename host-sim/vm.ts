import { GuestMemory } from './abi/memory.js';
import type { AbiVersion } from './abi/constants.js';
import type { HostServices, ProxyContext, VmScope } from './context.js';
import { HostError, type TrapFrame, type TrapInfo } from './errors.js';
import { inspectModule, type ModuleInfo } from './module/inspect.js';
import { readFunctionNames, trapFunction } from './module/name-section.js';
import { MeteredOffsets } from './module/metered-offsets.js';
import { WasmSourceMap } from './module/source-map.js';
import { wasmStackFrames } from './module/stack-frames.js';
import { wasiImports, ProcExit } from './module/wasi.js';
import { loggingCalls } from './hostcalls/logging.js';
import { headerCalls } from './hostcalls/headers.js';
import { bufferCalls } from './hostcalls/buffers.js';
import { propertyCalls } from './hostcalls/properties.js';
import { streamControlCalls } from './hostcalls/stream-control.js';
import { httpCallCalls } from './hostcalls/http-calls.js';
import { grpcCallCalls } from './hostcalls/grpc-calls.js';
import { timerCalls } from './hostcalls/timers.js';
import { metricCalls } from './hostcalls/metrics.js';
import { sharedDataCalls } from './hostcalls/shared-data.js';
import { sharedQueueCalls } from './hostcalls/shared-queues.js';
import { miscCalls } from './hostcalls/misc.js';
import { emscriptenCalls } from './hostcalls/emscripten.js';
import { foreignFunctionCalls } from './hostcalls/foreign/index.js';
import { DURING_START, restrictable, WHILE_ALLOCATING, withRestriction } from './abi/restricted.js';
import { envoyRelease, importsOf, type EnvoyRelease } from './envoy-releases.js';
import { limitMemory } from './module/memory-limit.js';
import { METER_BUDGET_EXPORT, METER_CHUNK, METER_IMPORT, METER_MODULE, meterModule } from './module/meter.js';
import { DeadlineExceeded, guestStack, VmLimits, type VmLimitOptions } from './vm-limits.js';

type HostFn = (...args: never[]) => number | bigint | undefined;
type Exported = (...args: number[]) => number;

export interface VmOptions {
  vmId?: string;
  /** Passed to proxy_on_vm_start, as Envoy's vm_config.configuration. */
  vmConfig?: Uint8Array;
  /** WASI environment (Istio's vmConfig.env). */
  env?: Record<string, string>;
  label?: string;
  /** The Envoy release whose import set the module is checked against ("1.36"); default newest. */
  envoyVersion?: string;
  /**
   * Wraps the import object before instantiation (the benchmark counts host calls this way).
   * Unset in normal runs, so the hot path pays nothing for it.
   */
  instrumentImports?: (imports: WebAssembly.Imports) => WebAssembly.Imports;
  /**
   * Execution deadlines and a memory limit (vm-limits.ts). Set, the module is metered at load
   * (module/meter.ts; call loadMeter() first) and its memory maximum lowered to the limit.
   */
  limits?: VmLimitOptions;
  /**
   * Where the module was read from: its source map (a debug build's, found through the module's
   * sourceMappingURL or beside it) maps every wasm frame of a trap to its .ts line.
   */
  modulePath?: string;
}

/** Wasm frames kept for a trap in a module with a source map (V8 keeps 10 frames by default). */
const MAPPED_STACK_LIMIT = 64;

/** The host functions of each area, keyed by import name, for module "env". */
function envImports(vm: WasmVm): Record<string, HostFn> {
  return {
    ...loggingCalls(vm),
    ...headerCalls(vm),
    ...bufferCalls(vm),
    ...propertyCalls(vm),
    ...streamControlCalls(vm),
    ...httpCallCalls(vm),
    ...grpcCallCalls(vm),
    ...timerCalls(vm),
    ...metricCalls(vm),
    ...sharedDataCalls(vm),
    ...sharedQueueCalls(vm),
    ...miscCalls(vm),
    ...foreignFunctionCalls(vm),
    ...emscriptenCalls(),
  } as Record<string, HostFn>;
}

let providedCache: Set<string> | undefined;
/** Every import this host implements, as "module.name". */
export function providedImports(): Set<string> {
  if (!providedCache) {
    const fake = {} as WasmVm;
    const env = Object.keys(envImports(fake)).map((n) => `env.${n}`);
    const wasi = Object.keys(wasiImports(fake)).flatMap((n) => [`wasi_snapshot_preview1.${n}`, `wasi_unstable.${n}`]);
    providedCache = new Set([...env, ...wasi]);
  }
  return providedCache;
}

/**
 * One instance of a module: Envoy's "Wasm" (a VM). Plugins (root contexts) and streams live on it.
 * Every call into the guest goes through call(), which turns a trap into a TrapInfo and marks the
 * VM failed instead of throwing through the host.
 */
export class WasmVm implements VmScope {
  readonly mem = new GuestMemory(undefined);
  readonly info: ModuleInfo;
  readonly vmId: string;
  readonly vmConfig: Uint8Array;
  readonly env: Record<string, string>;
  readonly label: string;
  readonly envoy: EnvoyRelease;
  private readonly instrumentImports: VmOptions['instrumentImports'];
  private instance!: WebAssembly.Instance;
  private exportsByName!: Record<string, Exported | undefined>;
  private names: Map<number, string>;
  private readonly sourceMap: WasmSourceMap | undefined;
  /** Set when the VM runs a metered copy: its offsets go back to the built module's. */
  private readonly meteredOffsets: MeteredOffsets | undefined;
  readonly limits: VmLimits | undefined;
  private budget: WebAssembly.Global | undefined;
  /** The context host functions act on (proxy_set_effective_context can change it). */
  current: ProxyContext | undefined;
  readonly contexts = new Map<number, ProxyContext>();
  private nextContextId = 1;
  failed: TrapInfo | undefined;
  private depth = 0;
  /** Actions Envoy defers until the VM call returns (local replies, continue, queue notifications). */
  private after: (() => void)[] = [];
  /** Log level the guest sees from proxy_get_log_level. */
  logLevel = 0;

  constructor(
    readonly host: HostServices,
    bytes: Uint8Array,
    opts: VmOptions = {},
  ) {
    this.label = opts.label ?? 'module';
    try {
      this.envoy = envoyRelease(opts.envoyVersion);
    } catch (err) {
      throw new HostError('invalid-input', (err as Error).message);
    }
    const envoy = this.envoy;
    this.info = inspectModule(bytes, (abi) => importsOf(envoy, abi), this.label, `Envoy ${envoy.envoy}`);
    this.sourceMap = WasmSourceMap.forModule(this.info.module, opts.modulePath);
    const builtNames = this.sourceMap ? readFunctionNames(this.info.module) : undefined;
    if (opts.limits) {
      // Validated and described from the module as shipped; run as metered and memory-limited.
      this.limits = new VmLimits(opts.limits);
      const limited = limitMemory(meterModule(bytes), this.limits.memoryBytes, this.label);
      this.info = { ...this.info, module: new WebAssembly.Module(limited as Uint8Array<ArrayBuffer>) };
      this.names = readFunctionNames(this.info.module);
      if (builtNames) this.meteredOffsets = new MeteredOffsets(bytes, builtNames, limited, this.names);
    } else this.names = builtNames ?? readFunctionNames(this.info.module);
    this.vmId = opts.vmId ?? '';
    this.vmConfig = opts.vmConfig ?? new Uint8Array(0);
    this.env = opts.env ?? {};
    this.instrumentImports = opts.instrumentImports;
  }

  get abiVersion(): AbiVersion {
    return this.info.abiVersion;
  }

  /** Instantiates and runs the module's start-up: _initialize (reactor) or _start (command). */
  start(): void {
    const wasi = wasiImports(this);
    // Every import can be refused while the allocator or the start-up runs (abi/restricted.ts).
    let importObject: WebAssembly.Imports = {
      env: restrictable('env', envImports(this)) as WebAssembly.ModuleImports,
      wasi_snapshot_preview1: restrictable('wasi_snapshot_preview1', wasi) as WebAssembly.ModuleImports,
      wasi_unstable: restrictable('wasi_unstable', wasi) as WebAssembly.ModuleImports,
    };
    if (this.limits) importObject[METER_MODULE] = { [METER_IMPORT]: this.limits.expired };
    if (this.instrumentImports) importObject = this.instrumentImports(importObject);
    try {
      this.instance = new WebAssembly.Instance(this.info.module, importObject);
    } catch (err) {
      throw new HostError('invalid-input', `${this.label} could not be instantiated: ${(err as Error).message}`);
    }
    this.exportsByName = this.instance.exports as unknown as Record<string, Exported | undefined>;
    this.budget = this.instance.exports[METER_BUDGET_EXPORT] as WebAssembly.Global | undefined;
    const memory = this.instance.exports.memory as WebAssembly.Memory | undefined;
    if (memory) this.mem.attach(memory);
    const alloc = this.exportsByName[this.info.allocator]!;
    const refuse = (message: string) => this.host.log(this, 'error', message);
    const allocating = { allowed: WHILE_ALLOCATING, refuse };
    this.mem.allocate = (size) => withRestriction(allocating, () => alloc(size));

    if (this.info.start !== 'none') {
      const startName = this.info.start;
      const trap = withRestriction({ allowed: DURING_START, refuse }, () => {
        const t = this.callRaw(startName, []);
        // cpp-host's startVm then calls a reactor's main(0, 0), else __main_void, when exported.
        if (t || startName !== '_initialize') return t;
        if (this.has('main')) return this.callRaw('main', [0, 0]);
        return this.has('__main_void') ? this.callRaw('__main_void', []) : undefined;
      });
      // A command that calls proc_exit(0) from _start has finished its start-up normally.
      if (trap && !(trap.exitCode === 0)) {
        throw new HostError('invalid-input', `${this.label} failed in ${this.info.start}: ${trap.info.message}`);
      }
    }
  }

  has(name: string): boolean {
    return typeof this.exportsByName[name] === 'function';
  }

  newContextId(): number {
    return this.nextContextId++;
  }

  /**
   * Calls an exported callback on behalf of `ctx`. Returns the callback's result, or undefined
   * when it is not exported. A trap marks the VM failed and returns undefined; callers check
   * `failed`.
   */
  call(ctx: ProxyContext | undefined, name: string, args: number[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.exportsByName[name];
    if (!fn) return undefined;
    const prev = this.current;
    this.current = ctx;
    if (this.depth === 0) this.limits?.begin(name);
    this.depth++;
    let result: number | undefined;
    // A debug build's trap shows every wasm frame; release builds keep V8's default on the hot path.
    let stackLimit: number | undefined;
    if (this.sourceMap) {
      stackLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = MAPPED_STACK_LIMIT;
    }
    try {
      // Callbacks take 1 to 5 arguments; calling with them spelled out spares V8 a spread per call.
      switch (args.length) {
        case 1:
          result = fn(args[0]!);
          break;
        case 2:
          result = fn(args[0]!, args[1]!);
          break;
        case 3:
          result = fn(args[0]!, args[1]!, args[2]!);
          break;
        default:
          result = fn(...args);
      }
    } catch (err) {
      this.failed = this.trapInfo(name, err);
    } finally {
      if (stackLimit !== undefined) Error.stackTraceLimit = stackLimit;
      this.depth--;
      this.current = prev;
    }
    if (this.depth === 0 && this.limits && !this.failed) {
      const why = this.limits.memoryExceeded(this.mem.size);
      if (why) this.failed = { callback: name, message: why, limit: 'memory' };
    }
    if (this.depth === 0 && this.after.length > 0) this.runAfter();
    return this.failed ? undefined : result;
  }

  private callRaw(name: string, args: number[]): { info: TrapInfo; exitCode?: number } | undefined {
    const fn = this.exportsByName[name];
    if (!fn) return undefined;
    if (this.depth === 0) this.limits?.begin(name);
    this.depth++;
    try {
      fn(...args);
      return undefined;
    } catch (err) {
      if (err instanceof ProcExit)
        return { info: { callback: name, message: `proc_exit(${err.code})` }, exitCode: err.code };
      return { info: this.trapInfo(name, err) };
    } finally {
      this.depth--;
    }
  }

  private trapInfo(callback: string, err: unknown): TrapInfo {
    // First: it formats the stack as V8 does by default, which trapFunction reads too.
    const frames = this.frames(err);
    let message = err instanceof Error ? err.message : String(err);
    if (err instanceof ProcExit) message = `module called proc_exit(${err.code})`;
    if (err instanceof RangeError && /memory/i.test(message)) message = `out of memory: ${message}`;
    if (err instanceof DeadlineExceeded)
      return { callback, function: trapFunction(guestStack(err), this.names), message, limit: 'deadline', ...frames };
    return { callback, function: trapFunction(err, this.names), message, ...frames };
  }

  /** Every wasm frame of the trap, mapped through the source map when the module has one. */
  private frames(err: unknown): { frames?: TrapFrame[] } {
    const frames: TrapFrame[] = [];
    for (const f of wasmStackFrames(err)) {
      const name = this.names.get(f.index) ?? f.name ?? `wasm-function[${f.index}]`;
      // The metered countdown the meter inlines is not the filter's code.
      if (name === 'log_execution') continue;
      const offset = this.meteredOffsets ? this.meteredOffsets.toOriginal(f.index, f.offset) : f.offset;
      const pos = offset === undefined ? undefined : this.sourceMap?.lookup(offset);
      frames.push({ function: name, ...(pos ? { at: `${pos.source}:${pos.line}:${pos.column}` } : {}) });
    }
    return frames.length > 0 ? { frames } : {};
  }

  defer(action: () => void): void {
    if (this.depth === 0) action();
    else this.after.push(action);
  }

  private runAfter(): void {
    const actions = this.after;
    this.after = [];
    // One action that throws (the proxy refusing what a filter produced) must not drop the
    // others: they all run, then the first error goes on to the caller's boundary.
    let first: { err: unknown } | undefined;
    for (const a of actions) {
      try {
        a();
      } catch (err) {
        first ??= { err };
      }
    }
    if (first) throw first.err;
  }

  /**
   * Metered units (function entries, loop iterations, returns) the guest has run so far; undefined
   * when the VM is not metered. A cost figure that does not depend on the machine's speed.
   */
  meteredUnits(): number | undefined {
    if (!this.limits || !this.budget) return undefined;
    return this.limits.refills * METER_CHUNK - (this.budget.value as number);
  }

  /** Linear memory size in bytes (for leak checks). */
  memoryBytes(): number {
    return this.mem.size;
  }
}
