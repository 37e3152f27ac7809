import type { WasmVm } from '../host-sim/vm.js';

/**
 * Counting and timing wrappers used in passes of their own, never in the timing pass: wrapping a
 * host function or a callback costs more than some of the calls it measures.
 */

export type CallCounts = Map<string, number>;

/** Wraps every host function so each call is counted by "module.name" (WASI included). */
export function countingImports(counts: CallCounts): (imports: WebAssembly.Imports) => WebAssembly.Imports {
  return (imports) => {
    const out: WebAssembly.Imports = {};
    for (const [mod, fns] of Object.entries(imports)) {
      const wrapped: WebAssembly.ModuleImports = {};
      for (const [name, fn] of Object.entries(fns)) {
        if (typeof fn !== 'function') {
          wrapped[name] = fn;
          continue;
        }
        const key = mod === 'env' ? name : `${mod}.${name}`;
        const f = fn as (...args: unknown[]) => unknown;
        wrapped[name] = (...args: unknown[]) => {
          counts.set(key, (counts.get(key) ?? 0) + 1);
          return f(...args);
        };
      }
      out[mod] = wrapped;
    }
    return out;
  };
}

export interface CallbackTimes {
  /** Exclusive time in ms per callback name (time in nested callbacks is not counted twice). */
  ms: Map<string, number>;
  calls: Map<string, number>;
  /**
   * Host work the VM deferred until a callback returned (a local reply and the response callbacks
   * it drives, a resumed stream), exclusive of the callbacks it ran. Envoy runs it after the VM
   * call, so it is the host's time, not the callback's that asked for it.
   */
  deferred: { ms: number; count: number };
}

/** A CallbackTimes with nothing counted yet. */
export const emptyCallbackTimes = (): CallbackTimes => ({
  ms: new Map(),
  calls: new Map(),
  deferred: { ms: 0, count: 0 },
});

/** The order Envoy calls an HTTP stream's callbacks in; anything else (timers, http call answers) after. */
export const CALLBACK_ORDER = [
  'proxy_on_context_create',
  'proxy_on_request_headers',
  'proxy_on_request_body',
  'proxy_on_request_trailers',
  'proxy_on_response_headers',
  'proxy_on_response_body',
  'proxy_on_response_trailers',
  'proxy_on_log',
  'proxy_on_done',
  'proxy_on_delete',
];

/** Sorts callback names into CALLBACK_ORDER; unknown names keep their relative order at the end. */
export function inCallOrder<T extends { name: string }>(items: T[]): T[] {
  const rank = (n: string) => {
    const i = CALLBACK_ORDER.indexOf(n);
    return i < 0 ? CALLBACK_ORDER.length : i;
  };
  return items
    .map((item, i) => ({ item, i }))
    .sort((x, y) => rank(x.item.name) - rank(y.item.name) || x.i - y.i)
    .map((x) => x.item);
}

const now = () => performance.now();

/**
 * What one pair of clock reads costs, to subtract from each timed callback: the median of many
 * pairs, because a mean is dragged up by the pairs during which the thread was preempted.
 */
export function clockOverheadMs(samples = 100_000): number {
  const d = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = now();
    d[i] = now() - a;
  }
  d.sort();
  return d[samples >> 1]!;
}

/**
 * Times every callback the host makes into this VM. It replaces the instance's `call` method
 * (rather than adding a hook to WasmVm) so normal runs pay nothing; returns a function that
 * restores it.
 */
export function timeCallbacks(vm: WasmVm, into: CallbackTimes, overheadMs: number): () => void {
  const original = vm.call;
  const originalDefer = vm.defer;
  // One frame per callback or deferred action in progress: the time of what ran nested in it.
  const stack: number[] = [];
  const timed: WasmVm['call'] = function (this: WasmVm, ctx, name, args) {
    stack.push(0);
    const t0 = now();
    const r = original.call(this, ctx, name, args);
    const elapsed = now() - t0;
    const nested = stack.pop()!;
    const own = Math.max(0, elapsed - nested - overheadMs);
    if (stack.length > 0) stack[stack.length - 1]! += elapsed;
    if (vm.has(name)) {
      into.ms.set(name, (into.ms.get(name) ?? 0) + own);
      into.calls.set(name, (into.calls.get(name) ?? 0) + 1);
    }
    return r;
  };
  // Deferred actions (Envoy's after-VM-call actions: proxy-wasm-cpp-host include/proxy-wasm/wasm.h
  // doAfterVmCallActions) run inside the VM call that queued them (vm.ts runAfter), so without this
  // their time (a local reply: the filter manager's reply path and the encoder callbacks) would be
  // charged to the callback that asked for them: request headers of a denying filter would seem to
  // cost more than the whole request.
  const deferTimed: WasmVm['defer'] = function (this: WasmVm, action) {
    originalDefer.call(this, () => {
      stack.push(0);
      const t0 = now();
      try {
        action();
      } finally {
        const elapsed = now() - t0;
        const nested = stack.pop()!;
        if (stack.length > 0) stack[stack.length - 1]! += elapsed;
        into.deferred.ms += Math.max(0, elapsed - nested - overheadMs);
        into.deferred.count++;
      }
    });
  };
  const self = vm as { call: WasmVm['call']; defer: WasmVm['defer'] };
  self.call = timed;
  self.defer = deferTimed;
  return () => {
    self.call = original;
    self.defer = originalDefer;
  };
}
