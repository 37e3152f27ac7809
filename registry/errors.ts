/**
 * The one error type of registry/. `kind` is what cli/errors.ts maps to an exit code; the
 * message always names the registry, repository or reference and says what to do next.
 */
export type RegistryErrorKind = 'auth' | 'not-found' | 'remote' | 'integrity' | 'invalid-input';

export class RegistryError extends Error {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    /** HTTP status when the error came from a registry answer. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}
