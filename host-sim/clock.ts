/** The virtual clock that time-related host functions and timers follow; tests advance it. */
export class VirtualClock {
  nowMs: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
  }
  nowNs(): bigint {
    return BigInt(Math.round(this.nowMs * 1000)) * 1000n;
  }
}
