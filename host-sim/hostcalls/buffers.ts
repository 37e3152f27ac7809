import { BufferType, WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** Body, configuration and call-response buffers. */
export function bufferCalls(vm: VmScope) {
  return {
    proxy_get_buffer_bytes: guarded((type: number, start: number, maxSize: number, retPtr: number, retSize: number) => {
      // As cpp-host's get_buffer_bytes (src/exports.cc): an unknown type is BadArgument, a missing
      // buffer NotFound, and a read past the end is clipped, down to a zero-length Ok read (pointer
      // 0, size 0) when start is past the end. Its overflow check (start > start + length) works
      // on 64-bit words and cannot fire for a wasm32 module's 32-bit arguments.
      if (type >>> 0 > BufferType.CallData) return WasmResult.BadArgument;
      const buf = vm.current?.getBuffer(type);
      if (!buf) return WasmResult.NotFound;
      start >>>= 0;
      maxSize >>>= 0;
      const end = Math.min(buf.length, start + maxSize);
      vm.mem.returnBytes(start >= end ? new Uint8Array(0) : buf.subarray(start, end), retPtr, retSize);
      return WasmResult.Ok;
    }),
    proxy_set_buffer_bytes: guarded((type: number, start: number, size: number, ptr: number, len: number) => {
      if (type >>> 0 > BufferType.CallData) return WasmResult.BadArgument;
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      return ctx.setBuffer(type, start >>> 0, size >>> 0, vm.mem.copy(ptr, len));
    }),
    proxy_get_buffer_status: guarded((type: number, lenPtr: number, flagsPtr: number) => {
      if (type >>> 0 > BufferType.CallData) return WasmResult.BadArgument;
      const buf = vm.current?.getBuffer(type);
      if (!buf) return WasmResult.NotFound;
      vm.mem.setU32(lenPtr, buf.length);
      vm.mem.setU32(flagsPtr, 0);
      return WasmResult.Ok;
    }),
    /**
     * ABI 0.1.0 modules read their configuration through this older call: Envoy's
     * Context::getConfiguration answers the plugin configuration while proxy_on_configure runs,
     * the VM configuration at any other time.
     */
    proxy_get_configuration: guarded((retPtr: number, retSize: number) => {
      const ctx = vm.current;
      const buf = ctx?.getBuffer(BufferType.PluginConfiguration) ?? ctx?.getBuffer(BufferType.VmConfiguration);
      vm.mem.returnBytes(buf ?? new Uint8Array(0), retPtr, retSize);
      return WasmResult.Ok;
    }),
  };
}
