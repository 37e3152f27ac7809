import { WasmResult } from '../abi/constants.js';
import type { VmScope } from '../context.js';

/** proxy_set_tick_period_milliseconds: ticks run on the host's virtual clock. */
export function timerCalls(vm: VmScope) {
  return {
    proxy_set_tick_period_milliseconds: (period: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      ctx.plugin.setTickPeriod(period >>> 0);
      return WasmResult.Ok;
    },
  };
}
