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
  /** Set when the host stopped the VM for a limit rather than the guest trapping by itself. */
  limit?: 'deadline' | 'memory';
}
