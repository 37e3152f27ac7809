import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** Counters, gauges and histograms, with Envoy's rules for which operation fits which type. */
export function metricCalls(vm: VmScope) {
  return {
    proxy_define_metric: guarded((type: number, namePtr: number, nameSize: number, idPtr: number) => {
      const { result, id } = vm.host.metrics.define(type, vm.mem.string(namePtr, nameSize));
      if (result === WasmResult.Ok) vm.mem.setU32(idPtr, id);
      return result;
    }),
    proxy_increment_metric: (id: number, offset: bigint) => vm.host.metrics.increment(id >>> 0, BigInt(offset)),
    proxy_record_metric: (id: number, value: bigint) =>
      vm.host.metrics.record(id >>> 0, BigInt.asUintN(64, BigInt(value))),
    proxy_get_metric: guarded((id: number, retPtr: number) => {
      const { result, value } = vm.host.metrics.get(id >>> 0);
      if (result === WasmResult.Ok) vm.mem.setU64(retPtr, value);
      return result;
    }),
  };
}
