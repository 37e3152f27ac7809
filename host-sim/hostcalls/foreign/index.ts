import { WasmResult } from '../../abi/constants.js';
import { guarded } from '../../abi/guarded.js';
import type { ProxyContext, VmScope } from '../../context.js';
import { sign, verifySignature } from './crypto.js';
import { clearRouteCache, declareProperty, setEnvoyFilterState } from './state.js';
import type { ForeignResult } from './types.js';
import { compress, uncompress } from './zlib.js';

type ForeignFunction = (args: Uint8Array, ctx: ProxyContext | undefined) => ForeignResult;

/**
 * The foreign functions an Envoy built without the CEL parser registers (foreign.cc). CEL's
 * expr_create / expr_evaluate / expr_delete exist only in builds with WASM_USE_CEL_PARSER; the
 * Envoy and Istio release builds we model leave them out, so they answer NotFound like any
 * unknown name (docs/host-sim.md).
 */
const FOREIGN: Record<string, ForeignFunction> = {
  compress: (args) => compress(args),
  uncompress: (args) => uncompress(args),
  sign: (args) => sign(args),
  verify_signature: (args) => verifySignature(args),
  declare_property: (args, ctx) => declareProperty(ctx, args),
  set_envoy_filter_state: (args, ctx) => setEnvoyFilterState(ctx, args),
  clear_route_cache: (_args, ctx) => clearRouteCache(ctx),
};

export const FOREIGN_FUNCTION_NAMES = Object.keys(FOREIGN);

/**
 * proxy_call_foreign_function as cpp-host's call_foreign_function (src/exports.cc): an unknown
 * name is NotFound (logged at debug, which cpp-host does not do); the result slots are written
 * whenever their pointers are non-zero, even on failure (address 0, size 0 when the function
 * produced nothing). One deliberate difference: an empty result is not allocated (cpp-host would
 * call the allocator with size 0).
 */
export function foreignFunctionCalls(vm: VmScope) {
  return {
    proxy_call_foreign_function: guarded(
      (namePtr: number, nameSize: number, argPtr: number, argSize: number, retPtr: number, retSize: number) => {
        const name = vm.mem.string(namePtr, nameSize);
        const args = vm.mem.copy(argPtr, argSize);
        const f = FOREIGN[name];
        if (!f) {
          vm.host.log(vm, 'debug', `proxy_call_foreign_function: no foreign function named "${name}"`);
          return WasmResult.NotFound;
        }
        const r = f(args, vm.current);
        const result = r.result ?? new Uint8Array(0);
        const address = retPtr >>> 0 !== 0 ? vm.mem.allocCopy(result) : 0;
        if (retPtr >>> 0 !== 0) vm.mem.setU32(retPtr, address);
        if (retSize >>> 0 !== 0) vm.mem.setU32(retSize, result.length);
        return r.status;
      },
    ),
  };
}
