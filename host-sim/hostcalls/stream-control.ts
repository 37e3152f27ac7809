import { StreamType, WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { LocalResponse, VmScope } from '../context.js';

/** Local responses and resuming or resetting a paused stream. */
export function streamControlCalls(vm: VmScope) {
  return {
    proxy_send_local_response: guarded(
      (
        status: number,
        detailsPtr: number,
        detailsSize: number,
        bodyPtr: number,
        bodySize: number,
        headersPtr: number,
        headersSize: number,
        grpcStatus: number,
      ) => {
        const response: LocalResponse = {
          status: status >>> 0,
          details: vm.mem.string(detailsPtr, detailsSize),
          body: vm.mem.copy(bodyPtr, bodySize),
          headers: vm.mem.readPairs(headersPtr, headersSize).map(([k, v]) => [k.toLowerCase(), v]),
          grpcStatus,
        };
        // cpp-host's send_local_response answers Ok whatever the context makes of it (a root
        // context has no stream to answer): only bad pointers are refused.
        vm.current?.sendLocalResponse(response);
        return WasmResult.Ok;
      },
    ),
    proxy_continue_stream: (type: number) => vm.current?.continueStream(type) ?? WasmResult.NotFound,
    proxy_close_stream: (type: number) => vm.current?.closeStream(type) ?? WasmResult.NotFound,
    // ABI 0.1.0 spellings.
    proxy_continue_request: () => vm.current?.continueStream(StreamType.HttpRequest) ?? WasmResult.NotFound,
    proxy_continue_response: () => vm.current?.continueStream(StreamType.HttpResponse) ?? WasmResult.NotFound,
    proxy_clear_route_cache: () => {
      vm.current?.clearRouteCache();
      return WasmResult.Ok;
    },
  };
}
