/**
 * cpp-host's "restricted callback": while the host runs the guest's allocator for data it returns
 * (WasmBase::allocMemory, include/proxy-wasm/wasm.h) or the module's start-up (WasmBase::startVm,
 * src/wasm.cc), only a short list of imports may run. Any other proxy_* call answers
 * InternalFailure and any other WASI call ENOTCAPABLE (76), each with an error log naming it
 * (the stubs of include/proxy-wasm/exports.h).
 *
 * The scope is module-wide rather than per VM: JavaScript runs one guest at a time, and a guest
 * inside its allocator cannot enter another VM.
 */

export interface RestrictionScope {
  /** Imports allowed meanwhile, as "module.name". */
  readonly allowed: ReadonlySet<string>;
  /** Logs the refusal (the VM's error log). */
  refuse(message: string): void;
}

let scope: RestrictionScope | undefined;

/** Runs `fn` with only `s.allowed` imports callable; restores the previous scope after. */
export function withRestriction<T>(s: RestrictionScope, fn: () => T): T {
  const prev = scope;
  scope = s;
  try {
    return fn();
  } finally {
    scope = prev;
  }
}

const WASI_ENOTCAPABLE = 76;
const INTERNAL_FAILURE = 10;

/** Imports allowed while the guest allocator runs (WasmBase::allocMemory). */
export const WHILE_ALLOCATING: ReadonlySet<string> = new Set([
  'env.proxy_log',
  'wasi_unstable.fd_write',
  'wasi_snapshot_preview1.fd_write',
  'wasi_unstable.clock_time_get',
  'wasi_snapshot_preview1.clock_time_get',
  // Go's runtime sleeps through poll_oneoff when its GC runs inside malloc.
  'wasi_unstable.poll_oneoff',
  'wasi_snapshot_preview1.poll_oneoff',
]);

const START_WASI = [
  'fd_write',
  'args_sizes_get',
  'args_get',
  'environ_sizes_get',
  'environ_get',
  'clock_time_get',
  'clock_res_get',
  'random_get',
  'poll_oneoff',
  'fd_fdstat_get',
  'fd_fdstat_set_flags',
  'fd_advise',
  'fd_allocate',
  'fd_datasync',
  'fd_fdstat_set_rights',
  'fd_filestat_get',
  'fd_filestat_set_size',
  'fd_filestat_set_times',
  'fd_pread',
  'fd_prestat_dir_name',
  'fd_prestat_get',
  'fd_pwrite',
  'fd_readdir',
  'fd_renumber',
  'fd_sync',
  'fd_tell',
  'path_create_directory',
  'path_filestat_get',
  'path_filestat_set_times',
  'path_link',
  'path_readlink',
  'path_remove_directory',
  'path_rename',
  'path_symlink',
  'path_unlink_file',
  'sock_accept',
  'sock_recv',
  'sock_send',
  'sock_shutdown',
];

/**
 * Imports allowed during _initialize/_start/main (WasmBase::startVm). proc_exit is added here
 * although cpp-host leaves it out: its stub only logs, and a command module that exits 0 from
 * _start then returns normally, which our ProcExit unwinding already models.
 */
export const DURING_START: ReadonlySet<string> = new Set([
  'env.emscripten_notify_memory_growth',
  'env.proxy_log',
  ...START_WASI.flatMap((n) => [`wasi_unstable.${n}`, `wasi_snapshot_preview1.${n}`]),
  'wasi_unstable.proc_exit',
  'wasi_snapshot_preview1.proc_exit',
]);

type HostFn = (...args: never[]) => unknown;

/**
 * Wraps each import of `module` so it refuses while a restriction scope is active and does not
 * list it. The wrapper keeps the function's arity (see guarded.ts for why that matters to V8).
 */
export function restrictable(module: string, fns: Record<string, HostFn>): Record<string, HostFn> {
  const out: Record<string, HostFn> = {};
  for (const [name, fn] of Object.entries(fns)) {
    const key = `${module}.${name}`;
    const wasi = module !== 'env';
    const refused = (): number | undefined => {
      if (wasi) {
        scope!.refuse(`Attempted call to restricted WASI capability: ${name}`);
        return name === 'proc_exit' ? undefined : WASI_ENOTCAPABLE;
      }
      scope!.refuse(`Attempted call to restricted proxy-wasm capability: ${name}`);
      // emscripten_notify_memory_growth returns nothing; every proxy_* returns a WasmResult.
      return name.startsWith('proxy_') ? INTERNAL_FAILURE : undefined;
    };
    const f = fn as unknown as (...a: unknown[]) => unknown;
    const blocked = () => scope !== undefined && !scope.allowed.has(key);
    let w: (...a: unknown[]) => unknown;
    // Length 0 also means a rest-parameter function (guarded's wrapper for 7+ parameters), so it
    // takes the rest path too.
    switch (fn.length) {
      case 1:
        w = (a) => (blocked() ? refused() : f(a));
        break;
      case 2:
        w = (a, b) => (blocked() ? refused() : f(a, b));
        break;
      case 3:
        w = (a, b, c) => (blocked() ? refused() : f(a, b, c));
        break;
      case 4:
        w = (a, b, c, d) => (blocked() ? refused() : f(a, b, c, d));
        break;
      case 5:
        w = (a, b, c, d, e) => (blocked() ? refused() : f(a, b, c, d, e));
        break;
      default:
        w = (...a) => (blocked() ? refused() : f(...a));
    }
    out[name] = w as HostFn;
  }
  return out;
}
