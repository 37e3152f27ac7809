import { RegistryError } from '../errors.js';

export interface WasmModuleInfo {
  /** proxy-wasm ABI versions the module declares by exporting `proxy_abi_version_X_Y_Z`, as `X.Y.Z`. */
  abiVersions: string[];
  exports: string[];
  size: number;
}

const magic = [0x00, 0x61, 0x73, 0x6d];

/**
 * Checks the wasm header (magic + version 1) and reads the export section. Only what push needs:
 * no validation of function bodies, which the proxy does when it loads the module.
 */
export function inspectWasmModule(bytes: Uint8Array, what = 'module'): WasmModuleInfo {
  if (bytes.byteLength < 8 || magic.some((b, i) => bytes[i] !== b)) {
    throw new RegistryError(
      'invalid-input',
      `${what} is not a WebAssembly module (it does not start with \\0asm); pass the .wasm that "meshwasm build" wrote`,
    );
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) {
    throw new RegistryError(
      'invalid-input',
      `${what} has WebAssembly binary version ${version}; proxies load version 1 modules only (a component-model binary is not a proxy-wasm module)`,
    );
  }
  const exports: string[] = [];
  let pos = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.byteLength) throw truncated(what);
      const b = bytes[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw truncated(what);
    }
  };
  while (pos < bytes.byteLength) {
    const id = bytes[pos++]!;
    const size = leb();
    const end = pos + size;
    if (end > bytes.byteLength) throw truncated(what);
    if (id === 7) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const len = leb();
        if (pos + len > end) throw truncated(what);
        exports.push(Buffer.from(bytes.subarray(pos, pos + len)).toString('utf8'));
        pos += len;
        pos++; // export kind
        leb(); // index
      }
    }
    pos = end;
  }
  const abiVersions = exports
    .map((e) => /^proxy_abi_version_(\d+)_(\d+)_(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}.${m[2]}.${m[3]}`);
  return { abiVersions, exports, size: bytes.byteLength };
}

function truncated(what: string): RegistryError {
  return new RegistryError(
    'invalid-input',
    `${what} is a truncated or malformed WebAssembly module (a section runs past the end); rebuild it`,
  );
}
