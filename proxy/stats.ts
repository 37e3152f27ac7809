/** Counters the proxy keeps about itself, as Envoy's http.<prefix>.* stats do. */
export class ProxyStats {
  requests = 0;
  active = 0;
  responses: Record<string, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  localReplies = 0;
  upstreamFailures = 0;
  upstreamTimeouts = 0;
  resets = 0;
  traps = 0;
  /** Requests or responses refused because a filter left headers no codec can send. */
  invalidFilterOutput = 0;
  /** Exceptions caught at the stream, timer and callout boundaries (each reset one stream). */
  internalErrors = 0;
  /** Envoy's downstream_rq_too_large / rs_too_large: a filter buffered past the buffer limit. */
  requestsTooLarge = 0;
  responsesTooLarge = 0;
  /** More request headers than max_headers_count: 431 (Envoy's http1.too_many_headers). */
  tooManyHeaders = 0;
  /** Envoy's downstream_rq_idle_timeout and downstream_rq_timeout. */
  streamIdleTimeouts = 0;
  requestTimeouts = 0;
  /** Envoy's upstream_rq_pending_overflow: a cluster's circuit breakers refused the request. */
  upstreamOverflow = 0;
  /** proxy_on_tick traps (each fails its VM; the failure policy decides what requests see). */
  tickTraps = 0;
  chainUpdates = 0;
  chainRejections = 0;
  lastRejection: { version: string; message: string; at: string } | null = null;

  countResponse(status: number): void {
    const cls = `${Math.floor(status / 100)}xx`;
    if (cls in this.responses) this.responses[cls]!++;
  }
}

/** One finished request, for the access log. */
/** A filter's trap as the proxy reports it, in a request's log entry or on its own (on_tick). */
export interface TrapEvent {
  filter: string;
  /** fail-open / fail-closed for a request's trap; the plugin's fail strategy for a tick's. */
  policy: string;
  message: string;
  callback?: string;
  /** The wasm frames, innermost first ("at fn (assembly/index.ts:12:5)" with a debug build's map). */
  stack?: string[];
}

/** A trap in proxy_on_tick: no request saw it, later ones see the failure policy. */
export type TickTrap = TrapEvent & { callback: 'proxy_on_tick' };

export interface AccessLogEntry {
  method: string;
  path: string;
  authority: string;
  /** 0 when the stream was reset before a response started. */
  status: number;
  /** Where it went: "upstream", or the cluster the route header named. */
  cluster: string;
  /** The chain version the request ran on. */
  chain: string;
  /** Set when a filter answered instead of the upstream (Envoy's response code details). */
  localReply?: string;
  /** callback: the proxy_on_* that trapped. */
  trap?: TrapEvent;
  reset: boolean;
  durationMs: number;
}
