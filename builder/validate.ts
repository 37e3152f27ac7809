import { ABI_MARKERS, ABI_WASI_FUNCTIONS, PROXY_WASM_HOST_FUNCTIONS } from './host-functions.js';

// tsconfig's lib (ES2023, no DOM) has no WebAssembly values; Node has them: type what we use.
interface WasmDescriptor {
  module?: string;
  name: string;
  kind: string;
}
interface WasmApi {
  Module: (new (
    bytes: Uint8Array,
  ) => object) & {
    imports(m: object): Required<WasmDescriptor>[];
    exports(m: object): WasmDescriptor[];
  };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface ModuleReport {
  /** "0.2.1", "0.2.0", "0.1.0", or null when no marker is exported. */
  abiVersion: string | null;
  /** proxy_on_* functions the module exports. */
  callbacks: string[];
  imports: { module: string; name: string; kind: string }[];
  exports: { name: string; kind: string }[];
  /** What makes the module unusable by a proxy. Empty when valid. */
  problems: string[];
  /** What a proxy tolerates but is worth knowing. */
  warnings: string[];
}

/**
 * Checks a module the way a proxy will see it: ABI marker, memory, allocator, context callbacks,
 * start-up function, and imports only from proxy-wasm's "env" functions and WASI.
 */
export function validateModule(bytes: Uint8Array): ModuleReport {
  let mod: object;
  try {
    mod = new wasm.Module(bytes);
  } catch (err) {
    return {
      abiVersion: null,
      callbacks: [],
      imports: [],
      exports: [],
      warnings: [],
      problems: [`not a valid WebAssembly module: ${(err as Error).message}`],
    };
  }
  const imports = wasm.Module.imports(mod).map((i) => ({ module: i.module, name: i.name, kind: i.kind }));
  const exports = wasm.Module.exports(mod).map((e) => ({ name: e.name, kind: e.kind }));
  const exported = new Map(exports.map((e) => [e.name, e.kind]));
  const problems: string[] = [];
  const warnings: string[] = [];

  const marker = ABI_MARKERS.find(([name]) => exported.get(name) === 'function');
  const abiVersion = marker ? marker[1] : null;
  if (!abiVersion)
    problems.push(
      'no ABI version marker exported (proxy_abi_version_0_2_1); add `export * from "meshwasm/sdk/exports"` to assembly/index.ts',
    );
  if (exported.get('memory') !== 'memory') problems.push('memory is not exported as "memory"');
  if (exported.get('proxy_on_memory_allocate') !== 'function' && exported.get('malloc') !== 'function') {
    problems.push(
      'no allocator exported (proxy_on_memory_allocate or malloc): the host cannot hand data to the module',
    );
  }
  const callbacks = exports
    .filter((e) => e.kind === 'function' && e.name.startsWith('proxy_on_') && e.name !== 'proxy_on_memory_allocate')
    .map((e) => e.name);
  if (!exported.has('proxy_on_context_create'))
    problems.push('proxy_on_context_create is not exported: the host cannot create contexts');
  if (
    !callbacks.some((c) =>
      /^proxy_on_(request|response)_|^proxy_on_(new_connection|downstream_data|tick|queue_ready)$/.test(c),
    )
  ) {
    warnings.push('no stream, tick or queue callback exported: the filter will never see traffic');
  }
  if (!exported.has('_initialize') && !exported.has('_start')) {
    warnings.push('neither _initialize nor _start exported: module start-up code will not run as Envoy runs it');
  }

  // Calls whose answers come back through callbacks: without the callback export the proxy has
  // nowhere to deliver them, and the request that made the call waits until it times out.
  const imported = new Set(imports.filter((i) => i.module === 'env').map((i) => i.name));
  if (imported.has('proxy_http_call') && !exported.has('proxy_on_http_call_response')) {
    problems.push(
      'imports proxy_http_call but does not export proxy_on_http_call_response: answers to its http calls would never arrive',
    );
  }
  if (
    (imported.has('proxy_grpc_call') || imported.has('proxy_grpc_stream')) &&
    !exported.has('proxy_on_grpc_receive') &&
    !exported.has('proxy_on_grpc_close')
  ) {
    problems.push(
      'imports proxy_grpc_call/proxy_grpc_stream but exports no gRPC callbacks (proxy_on_grpc_receive, proxy_on_grpc_close): ' +
        'its gRPC answers would never arrive; export the full set with `export * from "meshwasm/sdk/exports"` instead of meshwasm/sdk/http_exports',
    );
  }

  for (const imp of imports) {
    if (imp.module === 'env') {
      if (imp.name === 'abort' || imp.name === 'trace' || imp.name === 'seed') {
        problems.push(
          `imports env.${imp.name} from the AssemblyScript runtime, which proxies do not provide; ` +
            `build with "meshwasm build" (it routes ${imp.name} to the SDK) or add --use ${imp.name}=~lib/meshwasm/sdk/runtime/${imp.name}Handler`,
        );
      } else if (!PROXY_WASM_HOST_FUNCTIONS.has(imp.name)) {
        problems.push(`imports env.${imp.name}, which is not a proxy-wasm host function`);
      }
    } else if (imp.module === 'wasi_snapshot_preview1' || imp.module === 'wasi_unstable') {
      if (!ABI_WASI_FUNCTIONS.has(imp.name))
        warnings.push(`imports ${imp.module}.${imp.name}, which proxy-wasm hosts may not provide`);
    } else {
      problems.push(`imports ${imp.module}.${imp.name}: only "env" (proxy-wasm) and WASI imports are allowed`);
    }
  }
  return { abiVersion, callbacks, imports, exports, problems, warnings };
}
