/** What `meshwasm bench --proxy` reports: one entry per setup, all driven by the same load generator. */
export interface ProxySetupFigures {
  /** "filter chain", "proxy, no filters" or "plain Node pass-through". */
  name: string;
  requestsPerSec: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number; max: number };
  /** Non-2xx/3xx answers, socket errors and timeouts together. */
  errors: number;
  requests: number;
}

export interface ProxyLoadReport {
  tool: 'wrk';
  connections: number;
  threads: number;
  durationSec: number;
  setups: ProxySetupFigures[];
  /** Throughput of the filter chain relative to the proxy without filters and to plain Node. */
  ratios: { vsNoFilters?: number; vsPlainNode?: number };
}
