/**
 * One error type carries the exit code; the entry point (main.ts) maps it.
 * Messages say what failed, with what input, and what to do next.
 */
export const ExitCode = {
  ok: 0,
  /** Unexpected failure: a bug in meshwasm. */
  internal: 1,
  /** Bad command line: unknown flag, missing argument. */
  usage: 2,
  /** Invalid input: a module, config, scenario or manifest that is malformed or refused. */
  invalidInput: 3,
  /** A registry or server refused our credentials (401/403). */
  auth: 4,
  /** A file, repository, tag or resource does not exist. */
  notFound: 5,
  /** A remote peer failed: 5xx after retries, connection reset, timeout. */
  remote: 6,
  /** Content does not match its digest. */
  integrity: 7,
  /** Compilation (asc) failed. */
  build: 8,
  /** A check ran and failed: analyze findings at or above the threshold, a filter that failed its run. */
  checkFailed: 9,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.internal,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Domain errors from the folders below cli/ carry a `code`; map them to exit codes here only. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof CliError) return err.exitCode;
  const code = (err as { exitCode?: unknown; code?: unknown } | null)?.exitCode;
  if (typeof code === 'number' && Object.values(ExitCode).includes(code as ExitCodeValue)) return code as ExitCodeValue;
  const kind = (err as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'invalid-input':
      return ExitCode.invalidInput;
    case 'auth':
      return ExitCode.auth;
    case 'not-found':
      return ExitCode.notFound;
    case 'remote':
      return ExitCode.remote;
    case 'integrity':
      return ExitCode.integrity;
    case 'build':
      return ExitCode.build;
    default:
      break;
  }
  if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return ExitCode.notFound;
  return ExitCode.internal;
}
