import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** Shared key/value data (per vm_id) with compare-and-swap. */
export function sharedDataCalls(vm: VmScope) {
  return {
    proxy_get_shared_data: guarded((kPtr: number, kSize: number, retPtr: number, retSize: number, casPtr: number) => {
      const entry = vm.host.sharedData.get(vm.vmId, vm.mem.string(kPtr, kSize));
      if (!entry) return WasmResult.NotFound;
      vm.mem.returnBytes(entry.value, retPtr, retSize);
      vm.mem.setU32(casPtr, entry.cas);
      return WasmResult.Ok;
    }),
    proxy_set_shared_data: guarded((kPtr: number, kSize: number, vPtr: number, vSize: number, cas: number) =>
      vm.host.sharedData.set(vm.vmId, vm.mem.string(kPtr, kSize), vm.mem.copy(vPtr, vSize), cas >>> 0),
    ),
  };
}
