import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Hand-written proxy-wasm modules for the analyze tests, assembled with the real wat2wasm
 * (Debian wabt). Each is the smallest module that shows one behaviour a check must catch.
 */
export interface WatParts {
  abi?: string;
  /** Extra imports, WAT text. */
  imports?: string;
  /** Body of proxy_on_vm_start (must leave an i32). Default: i32.const 1 */
  vmStart?: string;
  /** Body of proxy_on_configure (must leave an i32). Default: i32.const 1 */
  configure?: string;
  /** Body of proxy_on_context_create (no result). */
  contextCreate?: string;
  /** Body of proxy_on_request_headers (must leave an i32). Default: i32.const 0 (Continue) */
  requestHeaders?: string;
  /** Body of _initialize; omitted when undefined. */
  initialize?: string;
  /** Data segments at offset 1024+, WAT text. */
  data?: string;
}

export function wat(p: WatParts = {}): string {
  return `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add_header (param i32 i32 i32 i32 i32) (result i32)))
  ${p.imports ?? ''}
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 8192))
  ${p.data ?? ''}
  (func (export "proxy_abi_version_${p.abi ?? '0_2_1'}"))
  ;; a bump allocator: enough for the few strings the host hands a test module
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))
    (local.get $p))
  ${p.initialize !== undefined ? `(func (export "_initialize") ${p.initialize})` : ''}
  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32) ${p.contextCreate ?? ''})
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) ${p.vmStart ?? '(i32.const 1)'})
  (func (export "proxy_on_configure") (param i32 i32) (result i32) ${p.configure ?? '(i32.const 1)'})
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${p.requestHeaders ?? '(i32.const 0)'})
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)`;
}

const dir = mkdtempSync(join(tmpdir(), 'meshwasm-analyze-wat-'));
let n = 0;

export function assemble(text: string): Uint8Array {
  const src = join(dir, `m${++n}.wat`);
  const out = join(dir, `m${n}.wasm`);
  writeFileSync(src, text);
  execFileSync('wat2wasm', [src, '-o', out]);
  return new Uint8Array(readFileSync(out));
}

/** Logs "x-analyze: ok" on every request header callback: a filter with a visible effect. */
const ADDS_HEADER = `(drop (call $add_header (i32.const 0) (i32.const 1024) (i32.const 10) (i32.const 1040) (i32.const 2))) (i32.const 0)`;
const HEADER_DATA = `(data (i32.const 1024) "x-analyzed") (data (i32.const 1040) "ok")`;

export const modules = {
  /** Loads, starts, adds a header to every request: nothing to report but the figures. */
  good: () => assemble(wat({ data: HEADER_DATA, requestHeaders: ADDS_HEADER })),
  /** Same behaviour, a different module (for distinct digests). */
  good2: () => assemble(wat({ data: `${HEADER_DATA} (data (i32.const 2000) "second")`, requestHeaders: ADDS_HEADER })),
  /** Does nothing at all, for any root id. */
  quiet: () => assemble(wat()),
  /** on_configure logs why and returns false. */
  rejectsConfig: () =>
    assemble(
      wat({
        data: `(data (i32.const 1024) "authz: config has no \\"rules\\" field")`,
        configure: '(drop (call $log (i32.const 4) (i32.const 1024) (i32.const 34))) (i32.const 0)',
      }),
    ),
  /** on_vm_start logs why and returns false. */
  rejectsVmStart: () =>
    assemble(
      wat({
        data: `(data (i32.const 1024) "vm: AUTHZ_MODE env var missing")`,
        vmStart: '(drop (call $log (i32.const 4) (i32.const 1024) (i32.const 30))) (i32.const 0)',
      }),
    ),
  /** on_vm_start refuses (with a log line) unless the VM's WASI environment has a variable. */
  needsEnv: () =>
    assemble(
      wat({
        imports: '(import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))',
        data: `(data (i32.const 1024) "vm: AUTHZ_MODE env var missing")`,
        vmStart: `(drop (call $env_sizes (i32.const 4000) (i32.const 4004)))
      (if (result i32) (i32.eqz (i32.load (i32.const 4000)))
        (then (drop (call $log (i32.const 4) (i32.const 1024) (i32.const 30))) (i32.const 0))
        (else (i32.const 1)))`,
      }),
    ),
  /** Traps in on_configure. */
  trapsInConfigure: () => assemble(wat({ configure: 'unreachable' })),
  /** Traps in _initialize (the WASI reactor start-up). */
  trapsAtStart: () => assemble(wat({ initialize: 'unreachable' })),
  /** Imports a host function Envoy has never had. */
  unknownImport: () =>
    assemble(wat({ imports: '(import "env" "proxy_get_secret_token" (func $x (param i32) (result i32)))' })),
  /** Declares only the legacy ABI. */
  abi010: () => assemble(wat({ abi: '0_1_0', data: HEADER_DATA, requestHeaders: ADDS_HEADER })),
  /**
   * Registers only root id "authz": reads plugin_root_id on root context creation and, like
   * our SDK and the C++ SDK, logs and aborts for any other id.
   */
  rootIdAuthz: () =>
    assemble(
      wat({
        data: `(data (i32.const 1024) "plugin_root_id") (data (i32.const 1100) "no root context registered for root_id") (data (i32.const 1200) "authz")`,
        contextCreate: `(if (i32.eqz (local.get $parent)) (then
      (drop (call $get_property (i32.const 1024) (i32.const 14) (i32.const 4000) (i32.const 4004)))
      ;; "authz": five bytes starting with 'a' and ending with 'z' is close enough for a fixture
      (if (i32.or (i32.ne (i32.load (i32.const 4004)) (i32.const 5))
                  (i32.or (i32.ne (i32.load8_u (i32.load (i32.const 4000))) (i32.const 97))
                          (i32.ne (i32.load8_u offset=4 (i32.load (i32.const 4000))) (i32.const 122))))
        (then (drop (call $log (i32.const 5) (i32.const 1100) (i32.const 38))) unreachable))))`,
      }),
    ),
};
