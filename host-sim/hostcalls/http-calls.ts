import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/** proxy_http_call, with Envoy's argument checks; the response arrives later as a callback. */
export function httpCallCalls(vm: VmScope) {
  return {
    proxy_http_call: guarded(
      (
        clusterPtr: number,
        clusterSize: number,
        headersPtr: number,
        headersSize: number,
        bodyPtr: number,
        bodySize: number,
        trailersPtr: number,
        trailersSize: number,
        timeoutMs: number,
        tokenPtr: number,
      ) => {
        const ctx = vm.current;
        if (!ctx) return WasmResult.NotFound;
        const cluster = vm.mem.string(clusterPtr, clusterSize);
        const headers = vm.mem
          .readPairs(headersPtr, headersSize)
          .map(([k, v]): [string, string] => [k.toLowerCase(), v]);
        const body = vm.mem.copy(bodyPtr, bodySize);
        const trailers = vm.mem.readPairs(trailersPtr, trailersSize);
        const timeout = timeoutMs | 0;
        if (timeout < 0) return WasmResult.BadArgument;
        if (!vm.host.hasCluster(cluster)) return WasmResult.BadArgument;
        const has = (k: string) => headers.some(([n]) => n === k);
        if (!has(':path') || !has(':method') || !has(':authority')) return WasmResult.BadArgument;
        if (body.length > 0) {
          const i = headers.findIndex(([n]) => n === 'content-length');
          if (i >= 0) headers.splice(i, 1);
          headers.push(['content-length', String(body.length)]);
        }
        const token = ctx.plugin.startHttpCall(ctx, { cluster, headers, body, trailers, timeoutMs: timeout });
        vm.mem.setU32(tokenPtr, token);
        return WasmResult.Ok;
      },
    ),
  };
}
