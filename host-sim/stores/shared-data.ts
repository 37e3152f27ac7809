import { WasmResult } from '../abi/constants.js';

/**
 * Key/value data shared by every VM with the same vm_id, with compare-and-swap, as in
 * proxy-wasm-cpp-host's SharedData. cas 0 means "set unconditionally".
 */
export class SharedDataStore {
  private data = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  private nextCas = 1;

  get(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.data.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    let m = this.data.get(vmId);
    if (!m) this.data.set(vmId, (m = new Map()));
    const cur = m.get(key);
    if (cas !== 0 && cur && cur.cas !== cas) return WasmResult.CasMismatch;
    if (cas !== 0 && !cur) return WasmResult.CasMismatch;
    m.set(key, { value, cas: this.nextCas++ });
    return WasmResult.Ok;
  }

  entries(vmId: string): [string, Uint8Array][] {
    return [...(this.data.get(vmId) ?? new Map()).entries()].map(([k, v]) => [k, v.value]);
  }
}
