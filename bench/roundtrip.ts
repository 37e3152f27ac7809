import { Host } from '../host-sim/host.js';
import { roundtripModule } from './modules.js';
import { stat, type Stat } from './stats.js';

export interface RoundTripReport {
  /** The host function both loops call. */
  hostFunction: string;
  callsPerRun: number;
  /** wasm -> bare JS function -> wasm, ns per call. */
  bareNsPerCall: Stat;
  /** wasm -> the simulator's host function -> wasm, ns per call. */
  hostNsPerCall: Stat;
  /** hostNsPerCall / bareNsPerCall (medians). Target: at most 3. */
  ratio: number;
}

type Loop = (n: number) => number;

/**
 * The same module instantiated twice: with the simulator's real host functions (through a
 * WasmVm, so guards, memory views and the current context are all in play) and with a bare JS
 * function. Runs alternate so both see the same machine state.
 */
export function measureRoundTrip(runs: number, callsPerRun: number): RoundTripReport {
  const bytes = roundtripModule();
  const host = new Host({ captureLogs: false });
  const vm = host.loadVm(bytes, { label: 'roundtrip' });
  const hostLoop: Loop = (n) => vm.call(undefined, 'loop', [n]) ?? 0;
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const bare = new WebAssembly.Instance(module, { env: { proxy_get_log_level: (_ptr: number) => 0 } });
  const bareLoop = bare.exports.loop as Loop;

  // Warm both paths up so V8 has optimised the import wrappers before timing.
  bareLoop(callsPerRun);
  hostLoop(callsPerRun);
  const bareNs: number[] = [];
  const hostNs: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    bareLoop(callsPerRun);
    bareNs.push(((performance.now() - t) * 1e6) / callsPerRun);
    t = performance.now();
    hostLoop(callsPerRun);
    hostNs.push(((performance.now() - t) * 1e6) / callsPerRun);
  }
  const bareStat = stat(bareNs);
  const hostStat = stat(hostNs);
  return {
    hostFunction: 'proxy_get_log_level',
    callsPerRun,
    bareNsPerCall: bareStat,
    hostNsPerCall: hostStat,
    ratio: Math.round((hostStat.median / bareStat.median) * 100) / 100,
  };
}
