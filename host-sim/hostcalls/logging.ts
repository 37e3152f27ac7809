import { LOG_LEVELS, WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** proxy_log and proxy_get_log_level. */
export function loggingCalls(vm: VmScope) {
  return {
    proxy_log: guarded((level: number, ptr: number, size: number) => {
      const name = LOG_LEVELS[level];
      if (!name) return WasmResult.BadArgument;
      vm.host.log(vm, name, vm.mem.string(ptr, size));
      return WasmResult.Ok;
    }),
    proxy_get_log_level: guarded((retPtr: number) => {
      vm.mem.setU32(retPtr, vm.logLevel);
      return WasmResult.Ok;
    }),
  };
}
