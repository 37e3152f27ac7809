import { WasmResult } from '../abi/constants.js';
import { guarded } from '../abi/guarded.js';
import type { VmScope } from '../context.js';
import { SerializationFailure } from '../cel-values.js';

/**
 * proxy_get_property / proxy_set_property. Paths arrive as NUL-separated segments
 * ("request\0headers\0x-user"); values are encoded as Envoy does (see encodeProperty).
 */
export function propertyCalls(vm: VmScope) {
  return {
    proxy_get_property: guarded((pathPtr: number, pathSize: number, retPtr: number, retSize: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      const raw = vm.mem.string(pathPtr, pathSize);
      // Some SDKs end the path with a trailing NUL; an empty last segment means nothing.
      const path = raw.split('\0');
      if (path.length > 1 && path[path.length - 1] === '') path.pop();
      let value: Uint8Array | undefined;
      try {
        value = ctx.getProperty(path);
      } catch (err) {
        // serializeValue's failure (a null inside a Struct, say), as Envoy answers it.
        if (err instanceof SerializationFailure) return WasmResult.SerializationFailure;
        throw err;
      }
      if (value === undefined) return WasmResult.NotFound;
      vm.mem.returnBytes(value, retPtr, retSize);
      return WasmResult.Ok;
    }),
    proxy_set_property: guarded((pathPtr: number, pathSize: number, valuePtr: number, valueSize: number) => {
      const ctx = vm.current;
      if (!ctx) return WasmResult.NotFound;
      const path = vm.mem
        .string(pathPtr, pathSize)
        .split('\0')
        .filter((s) => s !== '')
        .join('.');
      return ctx.setProperty(path, vm.mem.copy(valuePtr, valueSize));
    }),
  };
}
