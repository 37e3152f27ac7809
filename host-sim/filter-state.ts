import { WasmResult } from './abi/constants.js';
import type { PropertyDeclaration } from './context.js';

/**
 * What one stream or connection context keeps of Envoy's filter state: wasm properties written by
 * proxy_set_property, objects from the set_envoy_filter_state foreign function, and the names
 * declare_property declared while it was effective (Envoy keeps those on this context, where
 * proxy_set_property, which reads the root's, never looks). HTTP streams (wasm-filter.ts) and
 * connections (network-filter.ts) hold one each, made on first use.
 */
export class ContextFilterState {
  private wasm: Map<string, Uint8Array> | undefined;
  private envoy: Map<string, Uint8Array> | undefined;
  private declarations: Set<string> | undefined;

  /** proxy_get_property's first look: a wasm property by its dotted name, or filter_state.KEY. */
  read(path: string[]): Uint8Array | undefined {
    const own = this.wasm?.get(path.join('.'));
    if (own) return own;
    // filter_state.<key>: objects set through set_envoy_filter_state, and wasm properties under
    // Envoy's "wasm." prefix; both serialize as their bytes.
    if (path[0] === 'filter_state' && path.length === 2) {
      const k = path[1]!;
      return this.envoy?.get(k) ?? (k.startsWith('wasm.') ? this.wasm?.get(k.slice(5)) : undefined);
    }
    return undefined;
  }

  /** proxy_set_property: CelState::setValue refuses a second write to a property declared readonly. */
  write(path: string, value: Uint8Array, declared: PropertyDeclaration | undefined): WasmResult {
    if (declared?.readonly && this.wasm?.has(path)) return WasmResult.BadArgument;
    (this.wasm ??= new Map()).set(path, value);
    return WasmResult.Ok;
  }

  /** declare_property on this context: BadArgument for a name it already declared. */
  declare(decl: PropertyDeclaration): WasmResult {
    this.declarations ??= new Set();
    if (this.declarations.has(decl.name)) return WasmResult.BadArgument;
    this.declarations.add(decl.name);
    return WasmResult.Ok;
  }

  /** set_envoy_filter_state: the object, readable as filter_state.KEY. */
  setEnvoy(key: string, value: Uint8Array): WasmResult {
    (this.envoy ??= new Map()).set(key, value);
    return WasmResult.Ok;
  }
}
