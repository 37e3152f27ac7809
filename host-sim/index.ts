/** Public API of the host simulator. */
export { Host, type HostOptions, type LogEntry } from './host.js';
export { WasmVm, providedImports, type VmOptions } from './vm.js';
export { Plugin, type PluginOptions, type FailStrategy, type HttpCallRecord, type HttpCallRequest } from './plugin.js';
export {
  FilterManager,
  type FilterStage,
  type FilterCallbacks,
  type StreamSinks,
  type BodyRef,
} from './filter-manager.js';
export { WasmHttpFilter } from './wasm-filter.js';
export { WasmNetworkFilter, PeerType } from './network-filter.js';
export { Connection, type ConnectionSinks, type ConnectionOptions, type ConnectionClose } from './connection.js';
export { runExchange, type RequestSpec, type ResponseSpec, type ExchangeResult } from './exchange.js';
export { HostError, ConfigureError, type TrapInfo, type VmTrap } from './errors.js';
export {
  ENVOY_RELEASES,
  NEWEST_ENVOY,
  envoyRelease,
  envoyReleaseForIstio,
  firstReleaseWith,
  importsOf,
  oldestReleaseLoading,
  type EnvoyRelease,
} from './envoy-releases.js';
export { inspectModule, type ModuleInfo } from './module/inspect.js';
export { loadMeter } from './module/meter.js';
export {
  type VmLimitOptions,
  DEFAULT_CALLBACK_DEADLINE_MS,
  DEFAULT_MEMORY_LIMIT_BYTES,
  DEFAULT_START_DEADLINE_MS,
} from './vm-limits.js';
export { encodePairs, decodePairs, type HeaderPairs } from './abi/memory.js';
export type { ClusterTarget, HttpCallAnswer, HttpCallResponder } from './http-upstream.js';
export type { PropertyValue } from './properties.js';
export {
  createHarness,
  encodeConfig,
  type Harness,
  type HarnessOptions,
  type RequestResult,
  type TcpConnection,
  type ConnectionSpec,
} from './harness/index.js';
