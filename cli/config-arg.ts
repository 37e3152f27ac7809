import { readFileSync } from 'node:fs';
import { CliError, ExitCode } from './errors.js';

/**
 * `--config` values: inline JSON, or @path to a file (JSON, or any text the filter parses).
 * Returns the text exactly as the filter will receive it.
 */
export function readConfigArg(value: string | undefined, flag = '--config'): string | undefined {
  if (value === undefined) return undefined;
  if (value.startsWith('@')) {
    const path = value.slice(1);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new CliError(
        `${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        ExitCode.notFound,
      );
    }
  }
  const t = value.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      JSON.parse(t);
    } catch (err) {
      throw new CliError(
        `${flag}: not valid JSON (${(err as Error).message}); pass JSON text or @path/to/config.json`,
        ExitCode.invalidInput,
      );
    }
  }
  return value;
}
