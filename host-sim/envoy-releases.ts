import type { AbiVersion } from './abi/constants.js';

/**
 * The imports each Envoy (and the Istio that ships it) gives a proxy-wasm module: one row per
 * release where the set changed. The simulator (`--envoy-version`), `analyze` ("imports Envoy X
 * lacks") and `build` read this table and nothing else.
 *
 * Source: proxy-wasm-cpp-host's include/proxy-wasm/exports.h (FOR_ALL_HOST_FUNCTIONS,
 * FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC, FOR_ALL_WASI_FUNCTIONS) and src/wasm.cc
 * (WasmBase::registerCallbacks) at the commits named below. Which cpp-host commit an Envoy
 * release bundles is in Envoy's bazel/repository_locations.bzl; where we could not pin the exact
 * release that first carried a commit, the row starts at the first release we know has it
 * (so a module is flagged for a release that may in fact load it, never the other way round).
 * Istio minor N ships Envoy minor N+8 (Istio 1.24 = Envoy 1.32).
 */

export interface EnvoyRelease {
  /** Envoy minor version, "1.MINOR". */
  envoy: string;
  /** The Istio minor that ships it. */
  istio: string;
  /** The cpp-host commit whose import set this row reproduces. */
  cppHost: string;
  /** WASI functions, registered under both wasi_unstable and wasi_snapshot_preview1. */
  wasi: readonly string[];
}

/** proxy_* functions every ABI version gets (FOR_ALL_HOST_FUNCTIONS), without the prefix. */
const HOST_FUNCTIONS = [
  'log',
  'get_status',
  'set_property',
  'get_property',
  'send_local_response',
  'get_shared_data',
  'set_shared_data',
  'register_shared_queue',
  'resolve_shared_queue',
  'dequeue_shared_queue',
  'enqueue_shared_queue',
  'get_header_map_value',
  'add_header_map_value',
  'replace_header_map_value',
  'remove_header_map_value',
  'get_header_map_pairs',
  'set_header_map_pairs',
  'get_header_map_size',
  'get_buffer_status',
  'get_buffer_bytes',
  'set_buffer_bytes',
  'http_call',
  'grpc_call',
  'grpc_stream',
  'grpc_close',
  'grpc_cancel',
  'grpc_send',
  'set_tick_period_milliseconds',
  'get_current_time_nanoseconds',
  'define_metric',
  'increment_metric',
  'record_metric',
  'get_metric',
  'set_effective_context',
  'done',
  'call_foreign_function',
];

/** Registered only for modules of one ABI version (WasmBase::registerCallbacks). */
const ABI_SPECIFIC: Record<AbiVersion, readonly string[]> = {
  '0.1.0': ['get_configuration', 'continue_request', 'continue_response', 'clear_route_cache'],
  '0.2.0': ['continue_stream', 'close_stream'],
  '0.2.1': ['continue_stream', 'close_stream', 'get_log_level'],
};

/** Registered unprefixed in "env" for Emscripten-built modules, in every release here. */
const ENV_EXTRAS = ['pthread_equal', 'emscripten_notify_memory_growth'];

/** cpp-host 73fe589 (2022-06): the WASI set Envoy 1.24 to 1.33 carry. */
const WASI_2022 = [
  'fd_write',
  'fd_read',
  'fd_seek',
  'fd_close',
  'fd_fdstat_get',
  'environ_get',
  'environ_sizes_get',
  'args_get',
  'args_sizes_get',
  'clock_time_get',
  'random_get',
  'proc_exit',
  'path_open',
  'fd_prestat_get',
  'fd_prestat_dir_name',
];

/** cpp-host c4d7bb0 (2024-12, "add wasi hostcalls used by the Go SDK"). */
const WASI_2024 = [...WASI_2022, 'fd_fdstat_set_flags', 'sched_yield', 'poll_oneoff'];

/** cpp-host 94091cd (2026-04, "add all wasi hostcalls used by Go SDK"): 45 functions. */
const WASI_2026 = [
  ...WASI_2024,
  'fd_fdstat_set_rights',
  'clock_res_get',
  'fd_advise',
  'fd_allocate',
  'fd_datasync',
  'fd_filestat_set_size',
  'fd_filestat_set_times',
  'fd_pread',
  'fd_pwrite',
  'fd_readdir',
  'fd_renumber',
  'fd_sync',
  'fd_tell',
  'path_create_directory',
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
  'path_filestat_get',
  'fd_filestat_get',
];

/** Oldest first. */
export const ENVOY_RELEASES: readonly EnvoyRelease[] = [
  { envoy: '1.32', istio: '1.24', cppHost: '73fe589', wasi: WASI_2022 },
  { envoy: '1.33', istio: '1.25', cppHost: '73fe589', wasi: WASI_2022 },
  { envoy: '1.34', istio: '1.26', cppHost: 'c4d7bb0', wasi: WASI_2024 },
  { envoy: '1.35', istio: '1.27', cppHost: 'c4d7bb0', wasi: WASI_2024 },
  { envoy: '1.36', istio: '1.28', cppHost: 'c4d7bb0', wasi: WASI_2024 },
  { envoy: '1.37', istio: '1.29', cppHost: 'beb8a4e', wasi: WASI_2024 },
  { envoy: '1.38', istio: '1.30', cppHost: 'beb8a4e', wasi: WASI_2024 },
  { envoy: '1.39', istio: '1.31', cppHost: 'f2db56a', wasi: WASI_2026 },
];

export const NEWEST_ENVOY = ENVOY_RELEASES[ENVOY_RELEASES.length - 1]!.envoy;

const minorOf = (v: string): number | undefined => {
  const m = /^v?1\.(\d+)(?:\.\d+)?$/.exec(v.trim());
  return m ? Number(m[1]) : undefined;
};

/**
 * The row for an Envoy version ("1.36", "1.36.2"); older releases than the table reads as its
 * oldest row, newer as its newest. Throws on text that is not an Envoy version.
 */
export function envoyRelease(version: string = NEWEST_ENVOY): EnvoyRelease {
  const minor = minorOf(version);
  if (minor === undefined) {
    throw new Error(
      `"${version}" is not an Envoy version; pass 1.MINOR (${ENVOY_RELEASES[0]!.envoy} to ${NEWEST_ENVOY}), e.g. --envoy-version ${NEWEST_ENVOY}`,
    );
  }
  let row = ENVOY_RELEASES[0]!;
  for (const r of ENVOY_RELEASES) if (minorOf(r.envoy)! <= minor) row = r;
  return row;
}

/** The row for the Envoy an Istio minor ships. */
export function envoyReleaseForIstio(istio: string): EnvoyRelease {
  const minor = minorOf(istio);
  if (minor === undefined) throw new Error(`"${istio}" is not an Istio version; pass 1.MINOR, e.g. 1.30`);
  return envoyRelease(`1.${minor + 8}`);
}

/** Every function import that release gives a module of `abi`, as "module.name". */
export function importsOf(release: EnvoyRelease, abi: AbiVersion): Set<string> {
  return new Set([
    ...HOST_FUNCTIONS.map((n) => `env.proxy_${n}`),
    ...ABI_SPECIFIC[abi].map((n) => `env.proxy_${n}`),
    ...ENV_EXTRAS.map((n) => `env.${n}`),
    ...release.wasi.flatMap((n) => [`wasi_unstable.${n}`, `wasi_snapshot_preview1.${n}`]),
  ]);
}

/** The first release (in this table) that gives a module of `abi` the import, or undefined. */
export function firstReleaseWith(importName: string, abi: AbiVersion): EnvoyRelease | undefined {
  return ENVOY_RELEASES.find((r) => importsOf(r, abi).has(importName));
}

/** Imports of `abi` in any release: what the simulator implements. */
export function allKnownImports(): Set<string> {
  const out = new Set<string>();
  for (const abi of Object.keys(ABI_SPECIFIC) as AbiVersion[])
    for (const n of importsOf(ENVOY_RELEASES[ENVOY_RELEASES.length - 1]!, abi)) out.add(n);
  return out;
}

/**
 * The oldest release in the table that provides every one of `imports` ("module.name") to a
 * module of `abi`, and the imports no release provides (those modules load nowhere).
 */
export function oldestReleaseLoading(
  imports: readonly string[],
  abi: AbiVersion,
): { release: EnvoyRelease | undefined; missing: string[] } {
  const missing = imports.filter((i) => !firstReleaseWith(i, abi));
  if (missing.length > 0) return { release: undefined, missing };
  const release = ENVOY_RELEASES.find((r) => {
    const have = importsOf(r, abi);
    return imports.every((i) => have.has(i));
  });
  return { release, missing };
}
