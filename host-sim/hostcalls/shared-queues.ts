import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** Shared queues: a root context registers one, any VM resolves it by (vm_id, name) and enqueues. */
export function sharedQueueCalls(vm: VmScope) {
  return {
    proxy_register_shared_queue: guarded((namePtr: number, nameSize: number, idPtr: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      const id = vm.host.queues.register(vm.vmId, vm.mem.string(namePtr, nameSize), ctx.plugin);
      vm.mem.setU32(idPtr, id);
      return WasmResult.Ok;
    }),
    proxy_resolve_shared_queue: guarded(
      (vmIdPtr: number, vmIdSize: number, namePtr: number, nameSize: number, idPtr: number) => {
        const id = vm.host.queues.resolve(vm.mem.string(vmIdPtr, vmIdSize), vm.mem.string(namePtr, nameSize));
        if (id === undefined) return WasmResult.NotFound;
        vm.mem.setU32(idPtr, id);
        return WasmResult.Ok;
      },
    ),
    proxy_enqueue_shared_queue: guarded((id: number, vPtr: number, vSize: number) =>
      vm.host.queues.enqueue(id >>> 0, vm.mem.copy(vPtr, vSize)),
    ),
    proxy_dequeue_shared_queue: guarded((id: number, retPtr: number, retSize: number) => {
      const { result, value } = vm.host.queues.dequeue(id >>> 0);
      if (result === WasmResult.Ok) vm.mem.returnBytes(value!, retPtr, retSize);
      return result;
    }),
  };
}
