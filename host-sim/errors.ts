/** Errors from the host simulator carry a kind that the CLI maps to an exit code. */
export type HostErrorKind = 'invalid-input' | 'not-found' | 'internal';

export class HostError extends Error {
  constructor(
    readonly kind: HostErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** proxy_on_configure (or proxy_on_vm_start) returned false: Envoy rejects the plugin. */
export class ConfigureError extends HostError {
  constructor(
    message: string,
    readonly logs: { level: string; message: string }[],
    /** Set when the plugin trapped (on_vm_start, on_configure) rather than answering false. */
    readonly trap?: TrapInfo,
  ) {
    super('invalid-input', message);
    this.name = 'ConfigureError';
  }
}

/** A trap inside a callback: which callback, which wasm function, what the engine said. */
export interface TrapInfo {
  callback: string;
  function?: string;
  message: string;
  /**
   * The wasm frames at the trap, innermost first, each mapped to its source line when the module
   * has a source map (a debug build); host frames are left out.
   */
  frames?: TrapFrame[];
  /** Set when the host stopped the VM for a limit rather than the guest trapping by itself. */
  limit?: 'deadline' | 'memory';
}

/** One wasm frame of a trap: the function, and where in its source (1-based) when mapped. */
export interface TrapFrame {
  function: string;
  /** "assembly/index.ts:12:5", from the module's source map. */
  at?: string;
}

/** A trap's frames as stack lines ("at checkPath (assembly/index.ts:12:5)"), innermost first. */
export function frameLines(frames: TrapFrame[] | undefined): string[] {
  return (frames ?? []).map((f) => `at ${f.function}${f.at ? ` (${f.at})` : ''}`);
}

/**
 * A trap outside any stream (on_tick, on_queue_ready, an http call response, on_done of a root
 * context): Envoy fails the whole VM, so every later request sees the failure policy.
 */
export interface VmTrap extends TrapInfo {
  /** The plugin (root context) the callback ran for. */
  plugin: string;
  /** The guest's most telling line logged during that callback (a Go "panic:" line, say). */
  logged?: string;
}

/**
 * The guest's most telling line among what it logged: a Go/TinyGo "panic:" line (the stack trace
 * that follows names the runtime, not the cause), else a Rust "panicked at", else the last error.
 */
export function mostTellingLine(logs: { level: string; message: string }[]): string | undefined {
  const lines = logs.flatMap((l) => l.message.split('\n').map((m) => ({ level: l.level, message: m.trim() })));
  const panic = lines.find((l) => /^(panic|fatal error): /.test(l.message));
  if (panic) return panic.message;
  const rust = lines.find((l) => /panicked at/.test(l.message));
  if (rust) return rust.message;
  const errors = lines.filter((l) => (l.level === 'error' || l.level === 'critical') && l.message !== '');
  return errors[errors.length - 1]?.message;
}
