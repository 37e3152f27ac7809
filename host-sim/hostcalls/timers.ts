import { WasmResult } from '../abi/constants.js';
import type { WasmVm } from '../vm.js';

/** proxy_set_tick_period_milliseconds: ticks run on the host's virtual clock. */
export function timerCalls(vm: WasmVm) {
  return {
    proxy_set_tick_period_milliseconds: (period: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      ctx.plugin.setTickPeriod(period >>> 0);
      return WasmResult.Ok;
    },
  };
}
