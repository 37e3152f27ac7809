import { MapType, WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';

/**
 * Header, trailer and metadata maps, with Envoy's semantics (context.cc): keys are lower-cased on
 * write, get returns the first value only, set_pairs replaces the whole map, a map that does not
 * exist in this phase reads as empty and refuses writes with BadArgument.
 */
export function headerCalls(vm: VmScope) {
  const map = (type: number) => vm.current?.getMap(type);
  // cpp-host (src/exports.cc) answers a map type past the last one BadArgument before anything else.
  const badType = (type: number) => type >>> 0 > MapType.HttpCallResponseTrailers;
  return {
    proxy_get_header_map_pairs: guarded((type: number, retPtr: number, retSize: number) => {
      if (badType(type)) return WasmResult.BadArgument;
      vm.mem.returnPairs(map(type) ?? [], retPtr, retSize);
      return WasmResult.Ok;
    }),
    proxy_set_header_map_pairs: guarded((type: number, ptr: number, size: number) => {
      if (badType(type)) return WasmResult.BadArgument;
      const m = map(type);
      if (!m) return WasmResult.BadArgument;
      const pairs = vm.mem.readPairs(ptr, size);
      m.length = 0;
      for (const [k, v] of pairs) m.push([k.toLowerCase(), v]);
      return WasmResult.Ok;
    }),
    proxy_get_header_map_value: guarded(
      (type: number, kPtr: number, kSize: number, retPtr: number, retSize: number) => {
        if (badType(type)) return WasmResult.BadArgument;
        const m = map(type);
        if (!m) return WasmResult.BadArgument;
        const i = vm.mem.indexOfKey(m, kPtr, kSize);
        if (i >= 0) {
          vm.mem.returnString(m[i]![1], retPtr, retSize);
          return WasmResult.Ok;
        }
        // Envoy answers a missing key with an empty value for ABI 0.1.0 modules, NotFound after.
        if (vm.abiVersion === '0.1.0') {
          vm.mem.returnString('', retPtr, retSize);
          return WasmResult.Ok;
        }
        return WasmResult.NotFound;
      },
    ),
    proxy_add_header_map_value: guarded((type: number, kPtr: number, kSize: number, vPtr: number, vSize: number) => {
      if (badType(type)) return WasmResult.BadArgument;
      const m = map(type);
      if (!m) return WasmResult.BadArgument;
      m.push([vm.mem.string(kPtr, kSize).toLowerCase(), vm.mem.string(vPtr, vSize)]);
      return WasmResult.Ok;
    }),
    proxy_replace_header_map_value: guarded(
      (type: number, kPtr: number, kSize: number, vPtr: number, vSize: number) => {
        if (badType(type)) return WasmResult.BadArgument;
        const m = map(type);
        if (!m) return WasmResult.BadArgument;
        const key = vm.mem.string(kPtr, kSize).toLowerCase();
        const value = vm.mem.string(vPtr, vSize);
        // Envoy's setCopy: the first entry takes the value, later duplicates go away.
        let found = false;
        for (let i = 0; i < m.length; i++) {
          if (m[i]![0] !== key) continue;
          if (!found) {
            m[i] = [key, value];
            found = true;
          } else {
            m.splice(i, 1);
            i--;
          }
        }
        if (!found) m.push([key, value]);
        return WasmResult.Ok;
      },
    ),
    proxy_remove_header_map_value: guarded((type: number, kPtr: number, kSize: number) => {
      if (badType(type)) return WasmResult.BadArgument;
      const m = map(type);
      if (!m) return WasmResult.BadArgument;
      const key = vm.mem.string(kPtr, kSize).toLowerCase();
      for (let i = m.length - 1; i >= 0; i--) if (m[i]![0] === key) m.splice(i, 1);
      return WasmResult.Ok;
    }),
    proxy_get_header_map_size: guarded((type: number, retPtr: number) => {
      if (badType(type)) return WasmResult.BadArgument;
      const m = map(type);
      if (!m) return WasmResult.BadArgument;
      // Envoy answers the byte size of the map (keys plus values).
      let n = 0;
      for (const [k, v] of m) n += Buffer.byteLength(k) + Buffer.byteLength(v);
      vm.mem.setU32(retPtr, n);
      return WasmResult.Ok;
    }),
  };
}
