import type { TrapInfo } from '../host-sim/errors.js';
import type { Host } from '../host-sim/host.js';
import type { FailStrategy } from '../host-sim/plugin.js';
import type { WasmVm } from '../host-sim/vm.js';

export interface ClockEvents {
  /** A plugin's VM trapped in proxy_on_tick (reported once per VM), with its frames. */
  onTickTrap?(plugin: string, trap: TrapInfo, failStrategy: FailStrategy): void;
  /** Anything else a tick threw (the timer keeps running). */
  onError?(err: unknown): void;
}

/**
 * Drives the host's virtual clock from the real one, so proxy_on_tick fires on time and
 * proxy_get_current_time_nanoseconds reads the wall clock. The clock is also synced before
 * each request; the interval only matters for ticks between requests.
 */
export class ClockDriver {
  private timer: NodeJS.Timeout | undefined;
  private reported = new WeakSet<WasmVm>();

  constructor(
    private host: Host,
    private events: ClockEvents = {},
    private intervalMs = 20,
  ) {}

  start(): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), this.intervalMs);
    this.timer.unref();
  }

  /** The timers' boundary with the event loop: nothing a tick does escapes from here. */
  sync(): void {
    const behind = Date.now() - this.host.clock.nowMs;
    try {
      if (behind > 0) this.host.advance(behind);
    } catch (err) {
      this.events.onError?.(err);
    }
    for (const p of this.host.plugins) {
      const t = p.vm.failed;
      if (t?.callback !== 'proxy_on_tick' || this.reported.has(p.vm)) continue;
      this.reported.add(p.vm);
      this.events.onTickTrap?.(p.name, t, p.failStrategy);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
