/**
 * Envoy's per-cluster circuit breakers for HTTP/1.1 upstreams (cluster.circuit_breakers, default
 * priority): at most maxConnections requests talk to a cluster at once (one connection each) and
 * at most maxPendingRequests more wait for a connection; past both the request is not sent and the
 * client gets 503 "reset reason: overflow" (response flag UO), counted as Envoy's
 * upstream_rq_pending_overflow. The defaults are Envoy's: 1024 and 1024.
 */
export interface CircuitBreakerLimits {
  maxConnections?: number;
  maxPendingRequests?: number;
}

export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;

export class CircuitBreakers {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  private inFlight = new Map<string, number>();

  constructor(limits: CircuitBreakerLimits = {}) {
    this.maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxPendingRequests = limits.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS;
  }

  /** Takes a slot for a request to `cluster`; false when both connections and the queue are full. */
  acquire(cluster: string): boolean {
    const n = this.inFlight.get(cluster) ?? 0;
    if (n >= this.maxConnections + this.maxPendingRequests) return false;
    this.inFlight.set(cluster, n + 1);
    return true;
  }

  release(cluster: string): void {
    const n = (this.inFlight.get(cluster) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(cluster);
    else this.inFlight.set(cluster, n);
  }
}
