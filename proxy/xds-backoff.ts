/**
 * Jittered exponential backoff for re-opening the xDS stream, with Envoy's numbers
 * (source/common/config/grpc_stream.h: 500 ms initial, 30 s ceiling, reset when a response
 * arrives). Jitter keeps a fleet of proxies from reconnecting in lockstep after a control-plane
 * restart: each delay is drawn from the upper half of the current ceiling, so it never collapses
 * to a tight loop.
 */
export interface BackoffOptions {
  /** First ceiling in ms. Default 500. */
  initialMs?: number;
  /** Largest ceiling in ms. Default 30000. */
  maxMs?: number;
}

export class JitteredBackoff {
  private attempt = 0;
  readonly initialMs: number;
  readonly maxMs: number;

  constructor(
    opts: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = Math.max(1, opts.initialMs ?? 500);
    this.maxMs = Math.max(this.initialMs, opts.maxMs ?? 30_000);
  }

  /** The delay before the next attempt; each call doubles the ceiling up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
