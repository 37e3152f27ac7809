/** Failures of a build; `kind` is mapped to an exit code by the CLI (build -> 8). */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly kind: 'build' | 'invalid-input' | 'not-found' = 'build',
    /** Compiler diagnostics exactly as asc printed them, when there are some. */
    readonly diagnostics = '',
  ) {
    super(message);
    this.name = 'BuildError';
  }
}
