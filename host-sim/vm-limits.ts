import { METER_CHUNK } from './module/meter.js';

/**
 * What one VM may use: time per call into the guest and linear memory. Defaults no sane filter
 * reaches; Envoy itself enforces neither (a looping filter freezes its worker thread for good).
 */
export interface VmLimitOptions {
  /** Longest run of _initialize/_start, proxy_on_vm_start and proxy_on_configure. Default 1000 ms. */
  startDeadlineMs?: number;
  /** Longest run of any other callback (stream callbacks, on_tick, callout responses). Default 100 ms. */
  callbackDeadlineMs?: number;
  /** Most linear memory the VM may have. Default 256 MiB. */
  memoryLimitBytes?: number;
}

export const DEFAULT_START_DEADLINE_MS = 1000;
export const DEFAULT_CALLBACK_DEADLINE_MS = 100;
export const DEFAULT_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024;

/** Instantiation (a module's start function, data initialisation) counts as start-up too. */
const START_CALLBACKS = new Set(['instantiate', '_initialize', '_start', 'proxy_on_vm_start', 'proxy_on_configure']);

/** Thrown from the meter's import when a call ran past its deadline; it unwinds the guest. */
export class DeadlineExceeded extends Error {
  constructor(
    readonly callback: string,
    readonly limitMs: number,
  ) {
    super(`${callback} ran past its execution deadline of ${limitMs} ms and was stopped`);
    this.name = 'DeadlineExceeded';
  }
}

/** CPU time this process has used, ms (user + system). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * The deadline and memory bookkeeping of one VM. A deadline counts the CPU time the call used,
 * not wall time: on a loaded machine a process can be descheduled for longer than 100 ms, and a
 * filter must not be failed for that (seen on the shared 2-core test machine at load average 20).
 * The clock starts at the first visit of the meter (after METER_CHUNK units of a call), not on
 * entry, so calls that finish quickly never read it; a call is stopped at most one chunk
 * (microseconds) late.
 */
export class VmLimits {
  readonly startMs: number;
  readonly callbackMs: number;
  readonly memoryBytes: number;
  private callName = 'instantiate';
  private limitMs: number;
  private startedAt: number | undefined;
  /** Chunks handed out so far (units = refills * METER_CHUNK - budget). */
  refills = 0;

  constructor(opts: VmLimitOptions) {
    this.startMs = opts.startDeadlineMs ?? DEFAULT_START_DEADLINE_MS;
    this.callbackMs = opts.callbackDeadlineMs ?? DEFAULT_CALLBACK_DEADLINE_MS;
    this.memoryBytes = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
    this.limitMs = this.startMs;
  }

  /** A top-level call into the guest begins. */
  begin(name: string): void {
    this.callName = name;
    this.limitMs = START_CALLBACKS.has(name) ? this.startMs : this.callbackMs;
    this.startedAt = undefined;
  }

  /** The meter's import: the guest used up a chunk. Throws once the call is past its deadline. */
  readonly expired = (): number => {
    this.refills++;
    const now = cpuMs();
    if (this.startedAt === undefined) this.startedAt = now;
    else if (now - this.startedAt > this.limitMs) throw new DeadlineExceeded(this.callName, this.limitMs);
    return METER_CHUNK;
  };

  /** Why the VM must fail after a call, if its memory reached the limit. */
  memoryExceeded(size: number): string | undefined {
    if (size < this.memoryBytes) return undefined;
    return `linear memory reached the per-VM limit of ${this.memoryBytes / 2 ** 20} MiB (${size} bytes)`;
  }
}

/** The error's stack without the meter's own frame, so a deadline names the guest function that looped. */
export function guestStack(err: Error): { stack: string } {
  return {
    stack: (err.stack ?? '')
      .split('\n')
      .filter((l) => !/\blog_execution\b/.test(l))
      .join('\n'),
  };
}
