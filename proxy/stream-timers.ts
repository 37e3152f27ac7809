/**
 * Envoy's two per-stream timers from the connection manager (conn_manager_impl.cc):
 * - stream_idle_timeout (default 5 min): no bytes in either direction for that long ends the
 *   stream, 408 "stream timeout" (stream_idle_timeout) before the response started, a reset after;
 * - request_timeout (default 0, off): the whole request must have gone upstream, or the response
 *   have started, within it; else 408 "request timeout" (request_overall_timeout).
 * Together they are what keeps a client from waiting forever on a filter that never resumes.
 */
export interface StreamTimeouts {
  streamIdleTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 0;

export class StreamTimers {
  private idle: NodeJS.Timeout | undefined;
  private request: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    requestMs: number,
    private readonly onIdle: () => void,
    onRequestTimeout: () => void,
  ) {
    if (requestMs > 0) {
      this.request = setTimeout(onRequestTimeout, requestMs);
      this.request.unref();
    }
    this.touch();
  }

  /** Bytes moved: the idle period starts again. */
  touch(): void {
    if (this.idleMs <= 0) return;
    if (this.idle) this.idle.refresh();
    else {
      this.idle = setTimeout(this.onIdle, this.idleMs);
      this.idle.unref();
    }
  }

  /** The request has gone upstream whole, or the response has started. */
  requestDone(): void {
    clearTimeout(this.request);
    this.request = undefined;
  }

  clear(): void {
    clearTimeout(this.idle);
    clearTimeout(this.request);
  }
}
