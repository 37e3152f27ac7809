import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** Time, effective context, proxy_done and status (foreign functions: foreign/). */
export function miscCalls(vm: VmScope) {
  return {
    proxy_get_current_time_nanoseconds: guarded((retPtr: number) => {
      vm.mem.setU64(retPtr, vm.host.clock.nowNs());
      return WasmResult.Ok;
    }),
    proxy_set_effective_context: (contextId: number) => {
      const ctx = vm.contexts.get(contextId >>> 0);
      if (!ctx) return WasmResult.BadArgument;
      vm.current = ctx;
      return WasmResult.Ok;
    },
    proxy_done: () => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      return ctx.plugin.done(ctx);
    },
    proxy_get_status: guarded((codePtr: number, msgPtr: number, msgSize: number) => {
      // cpp-host's get_status reads the root context, where http call failures are recorded.
      const status = vm.current?.plugin.status ?? { code: 0, message: '' };
      vm.mem.setU32(codePtr, status.code);
      vm.mem.returnString(status.message, msgPtr, msgSize);
      return WasmResult.Ok;
    }),
  };
}
