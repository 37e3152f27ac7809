/** The host simulator as a real HTTP/1.1 proxy: public surface. */
export { startProxy, type ProxyOptions, type RunningProxy, type ChainInfo } from './server.js';
export type { FilterSpec, WasmFilterSpec, RbacFilterSpec } from './filter-spec.js';
export type { AccessLogEntry, TickTrap, TrapEvent } from './stats.js';
export {
  startTcpProxy,
  parseTcpUpstream,
  type TcpProxyOptions,
  type RunningTcpProxy,
  type TcpConnectionEntry,
  type TcpProxyStats,
} from './tcp-server.js';
