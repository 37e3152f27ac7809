;; The benchmark's baseline: an empty pass-through proxy-wasm filter. Every callback Envoy calls
;; is exported and returns "continue" at once, and it makes no host calls, so what it costs is the
;; cost of the host simulator itself. Its bytes are embedded in ../modules.ts; test/bench checks
;; they equal `wat2wasm bench/baseline/passthrough.wat`.
(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  ;; Never called (no host call returns data), but the host requires an allocator.
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)
