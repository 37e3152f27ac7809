;; Measures the cost of one call from wasm into the host. `loop(n)` calls the imported
;; proxy_get_log_level n times. The benchmark instantiates this module twice in the same run: once
;; with the host simulator's real host functions, once with a bare JS function of the same
;; signature, so the difference is the simulator's per-call overhead. Embedded in ../modules.ts;
;; test/bench checks the bytes equal `wat2wasm bench/baseline/roundtrip.wat`.
(module
  (import "env" "proxy_get_log_level" (func $level (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $level (i32.const 16))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
)
