import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { GrpcStart, VmScope } from '../context.js';

/**
 * gRPC callouts: proxy_grpc_call (unary), proxy_grpc_stream, proxy_grpc_send, proxy_grpc_close,
 * proxy_grpc_cancel. As proxy-wasm-cpp-host's exports.cc, each acts for the ROOT context of the
 * context that calls it (contextOrEffectiveContext()->root_context()), so answers arrive on the
 * root context; the semantics are in grpc-callouts.ts.
 */
export function grpcCallCalls(vm: VmScope) {
  const start = (req: GrpcStart, tokenPtr: number): number => {
    const ctx = vm.current;
    if (!ctx) return WasmResult.NotFound;
    const r = ctx.plugin.grpc.start(req);
    if (r.result === WasmResult.Ok) vm.mem.setU32(tokenPtr, r.token!);
    return r.result;
  };
  const lowerPairs = (ptr: number, size: number) =>
    vm.mem.readPairs(ptr, size).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
  return {
    proxy_grpc_call: guarded(
      (
        servicePtr: number,
        serviceSize: number,
        namePtr: number,
        nameSize: number,
        methodPtr: number,
        methodSize: number,
        metadataPtr: number,
        metadataSize: number,
        messagePtr: number,
        messageSize: number,
        timeoutMs: number,
        tokenPtr: number,
      ) =>
        start(
          {
            kind: 'unary',
            service: vm.mem.copy(servicePtr, serviceSize),
            serviceName: vm.mem.string(namePtr, nameSize),
            method: vm.mem.string(methodPtr, methodSize),
            initialMetadata: lowerPairs(metadataPtr, metadataSize),
            message: vm.mem.copy(messagePtr, messageSize),
            timeoutMs: timeoutMs >>> 0,
          },
          tokenPtr,
        ),
    ),
    proxy_grpc_stream: guarded(
      (
        servicePtr: number,
        serviceSize: number,
        namePtr: number,
        nameSize: number,
        methodPtr: number,
        methodSize: number,
        metadataPtr: number,
        metadataSize: number,
        tokenPtr: number,
      ) =>
        start(
          {
            kind: 'stream',
            service: vm.mem.copy(servicePtr, serviceSize),
            serviceName: vm.mem.string(namePtr, nameSize),
            method: vm.mem.string(methodPtr, methodSize),
            initialMetadata: lowerPairs(metadataPtr, metadataSize),
            timeoutMs: 0,
          },
          tokenPtr,
        ),
    ),
    proxy_grpc_send: guarded((token: number, messagePtr: number, messageSize: number, endStream: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      return ctx.plugin.grpc.send(token >>> 0, vm.mem.copy(messagePtr, messageSize), endStream !== 0);
    }),
    proxy_grpc_close: (token: number) => vm.current?.plugin.grpc.close(token >>> 0) ?? WasmResult.NotFound,
    proxy_grpc_cancel: (token: number) => vm.current?.plugin.grpc.cancel(token >>> 0) ?? WasmResult.NotFound,
  };
}
