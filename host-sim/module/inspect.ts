import { ABI_MARKERS, type AbiVersion } from '../abi/constants.js';
import { HostError } from '../errors.js';

export interface ModuleInfo {
  module: WebAssembly.Module;
  size: number;
  abiVersion: AbiVersion;
  exports: string[];
  imports: WebAssembly.ModuleImportDescriptor[];
  /** How the module wants to be started: WASI reactor, WASI command, or neither. */
  start: '_initialize' | '_start' | 'none';
  /** Which export the host calls to get guest memory for data it returns. */
  allocator: 'proxy_on_memory_allocate' | 'malloc';
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * Validates a module the way Envoy would before hosting it, and says which ABI it speaks.
 * `provided` is the set of imports the target Envoy gives a module of that ABI, as "module.name"
 * (cpp-host registers some functions only for one ABI version); `envoy` names that Envoy.
 */
export function inspectModule(
  bytes: Uint8Array,
  provided: (abi: AbiVersion) => ReadonlySet<string>,
  label = 'module',
  envoy = 'Envoy',
): ModuleInfo {
  if (bytes.length < 8 || WASM_MAGIC.some((v, i) => bytes[i] !== v)) {
    throw new HostError(
      'invalid-input',
      `${label} is not a WebAssembly module (no \\0asm magic number); pass the .wasm that "meshwasm build" or your SDK produced`,
    );
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new HostError(
      'invalid-input',
      `${label} has WebAssembly binary version ${bytes[4]}; only version 1 is supported`,
    );
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new HostError('invalid-input', `${label} is not a valid WebAssembly module: ${(err as Error).message}`);
  }
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  const imports = WebAssembly.Module.imports(module);

  const markers = exports.filter((e) => e in ABI_MARKERS) as (keyof typeof ABI_MARKERS)[];
  if (markers.length === 0) {
    throw new HostError(
      'invalid-input',
      `${label} does not export a proxy-wasm ABI marker (proxy_abi_version_0_2_1, _0_2_0 or _0_1_0); it was not built with a proxy-wasm SDK`,
    );
  }
  // Prefer the newest version a module declares, as Envoy does.
  const abiVersion = markers
    .map((m) => ABI_MARKERS[m])
    .sort()
    .reverse()[0]!;

  const have = provided(abiVersion);
  const unknown = imports.filter((i) => i.kind === 'function' && !have.has(`${i.module}.${i.name}`));
  if (unknown.length > 0) {
    const list = unknown.map((i) => `${i.module}.${i.name}`).join(', ');
    throw new HostError(
      'invalid-input',
      `${label} imports host function${unknown.length > 1 ? 's' : ''} that ${envoy} does not provide to ABI ${abiVersion} modules: ${list}`,
    );
  }
  const otherImports = imports.filter((i) => i.kind !== 'function' && !(i.kind === 'memory' && i.module === 'env'));
  if (otherImports.length > 0) {
    throw new HostError(
      'invalid-input',
      `${label} imports ${otherImports.map((i) => `${i.kind} ${i.module}.${i.name}`).join(', ')}, which no proxy-wasm host provides`,
    );
  }
  if (!exports.includes('memory') && !imports.some((i) => i.kind === 'memory')) {
    throw new HostError('invalid-input', `${label} exports no memory; proxy-wasm modules must export "memory"`);
  }

  const allocator = exports.includes('proxy_on_memory_allocate')
    ? 'proxy_on_memory_allocate'
    : exports.includes('malloc')
      ? 'malloc'
      : undefined;
  if (!allocator) {
    throw new HostError(
      'invalid-input',
      `${label} exports neither proxy_on_memory_allocate nor malloc, so the host cannot pass it data`,
    );
  }
  const start = exports.includes('_initialize') ? '_initialize' : exports.includes('_start') ? '_start' : 'none';
  return { module, size: bytes.length, abiVersion, exports, imports, start, allocator };
}
