/** Failures of `init`; `kind` is mapped to an exit code by the CLI. */
export class ScaffoldError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid-input' | 'not-found',
  ) {
    super(message);
    this.name = 'ScaffoldError';
  }
}
