import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** Body, configuration and call-response buffers. */
export function bufferCalls(vm: VmScope) {
  return {
    proxy_get_buffer_bytes: guarded((type: number, start: number, maxSize: number, retPtr: number, retSize: number) => {
      const buf = vm.current?.getBuffer(type);
      if (!buf) return WasmResult.NotFound;
      start >>>= 0;
      maxSize >>>= 0;
      // As proxy-wasm-cpp-host: a start beyond the end is BadArgument, an empty read is NotFound... but
      // SDKs ask for (0, size) of an empty body routinely, so an empty buffer reads as zero bytes.
      if (start > buf.length) return WasmResult.BadArgument;
      const end = Math.min(buf.length, start + maxSize);
      vm.mem.returnBytes(buf.subarray(start, end), retPtr, retSize);
      return WasmResult.Ok;
    }),
    proxy_set_buffer_bytes: guarded((type: number, start: number, size: number, ptr: number, len: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      return ctx.setBuffer(type, start >>> 0, size >>> 0, vm.mem.copy(ptr, len));
    }),
    proxy_get_buffer_status: guarded((type: number, lenPtr: number, flagsPtr: number) => {
      const buf = vm.current?.getBuffer(type);
      if (!buf) return WasmResult.NotFound;
      vm.mem.setU32(lenPtr, buf.length);
      vm.mem.setU32(flagsPtr, 0);
      return WasmResult.Ok;
    }),
    /** ABI 0.1.0 modules read their configuration through this older call. */
    proxy_get_configuration: guarded((retPtr: number, retSize: number) => {
      const buf = vm.current?.getBuffer(7);
      vm.mem.returnBytes(buf ?? new Uint8Array(0), retPtr, retSize);
      return WasmResult.Ok;
    }),
  };
}
