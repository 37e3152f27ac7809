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
  (vm as { call: WasmVm['call'] }).call = timed;
  return () => {
    (vm as { call: WasmVm['call'] }).call = original;
  };
}
