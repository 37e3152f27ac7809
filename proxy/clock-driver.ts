import type { Host } from '../host-sim/host.js';

/**
 * Drives the host's virtual clock from the real one, so proxy_on_tick fires on time and
 * proxy_get_current_time_nanoseconds reads the wall clock. The clock is also synced before
 * each request; the interval only matters for ticks between requests.
 */
export class ClockDriver {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private host: Host,
    private intervalMs = 20,
  ) {}

  start(): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), this.intervalMs);
    this.timer.unref();
  }

  sync(): void {
    const behind = Date.now() - this.host.clock.nowMs;
    if (behind > 0) this.host.advance(behind);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
