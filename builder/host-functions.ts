/** Host functions of proxy-wasm ABI 0.2.1 (module "env"), from proxy-wasm/spec. */
export const PROXY_WASM_HOST_FUNCTIONS: ReadonlySet<string> = new Set([
  'proxy_log', 'proxy_get_log_level', 'proxy_get_current_time_nanoseconds', 'proxy_set_tick_period_milliseconds',
  'proxy_done', 'proxy_set_effective_context',
  'proxy_get_buffer_bytes', 'proxy_set_buffer_bytes', 'proxy_get_buffer_status',
  'proxy_get_header_map_size', 'proxy_get_header_map_pairs', 'proxy_set_header_map_pairs', 'proxy_get_header_map_value',
  'proxy_add_header_map_value', 'proxy_replace_header_map_value', 'proxy_remove_header_map_value',
  'proxy_continue_stream', 'proxy_close_stream', 'proxy_send_local_response', 'proxy_get_status',
  'proxy_http_call', 'proxy_grpc_call', 'proxy_grpc_stream', 'proxy_grpc_send', 'proxy_grpc_cancel', 'proxy_grpc_close',
  'proxy_get_shared_data', 'proxy_set_shared_data',
  'proxy_register_shared_queue', 'proxy_resolve_shared_queue', 'proxy_enqueue_shared_queue', 'proxy_dequeue_shared_queue',
  'proxy_define_metric', 'proxy_increment_metric', 'proxy_record_metric', 'proxy_get_metric',
  'proxy_get_property', 'proxy_set_property', 'proxy_call_foreign_function',
  // ABI 0.1.0 names Envoy still serves; modules from older SDKs import them.
  'proxy_continue_request', 'proxy_continue_response', 'proxy_clear_route_cache', 'proxy_get_configuration',
]);

/** WASI functions the ABI lists (others are accepted with a warning: hosts may lack them). */
export const ABI_WASI_FUNCTIONS: ReadonlySet<string> = new Set([
  'fd_write', 'clock_time_get', 'random_get', 'environ_sizes_get', 'environ_get', 'args_sizes_get', 'args_get',
  'proc_exit', 'fd_prestat_get', 'fd_prestat_dir_name', 'fd_close', 'fd_seek', 'fd_fdstat_get', 'sched_yield', 'poll_oneoff',
]);

export const ABI_MARKERS = [
  ['proxy_abi_version_0_2_1', '0.2.1'],
  ['proxy_abi_version_0_2_0', '0.2.0'],
  ['proxy_abi_version_0_1_0', '0.1.0'],
] as const;
