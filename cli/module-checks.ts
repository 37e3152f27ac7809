import { validateModule } from '../builder/index.js';
import { CliError, ExitCode } from './errors.js';

/**
 * The checks `meshwasm build` refuses a module on (builder/validate.ts: ABI marker, memory,
 * allocator, callbacks, imports), applied before a module leaves this machine, so a module a
 * build refused cannot be pushed by accident. `--force` ships it anyway.
 */
export function refuseBrokenModule(
  command: string,
  label: string,
  bytes: Uint8Array,
  force: boolean | undefined,
): void {
  if (force) return;
  const { problems } = validateModule(bytes);
  if (!problems.length) return;
  throw new CliError(
    `${command}: ${label} fails the checks "meshwasm build" applies, so a proxy would refuse it:\n  - ${problems.join('\n  - ')}\n` +
      `Rebuild it with "meshwasm build", or pass --force to ${command} it anyway`,
    ExitCode.invalidInput,
  );
}
