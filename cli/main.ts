import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { ExitCode, exitCodeFor } from './errors.js';
import { resultPrinted } from './output.js';
import { preparse, wantsJson } from './preparse.js';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const prepared = preparse(program, argv);
  if ('usageError' in prepared) {
    process.stderr.write(`meshwasm: ${prepared.usageError}\n`);
    if (wantsJson(argv)) writeJsonError(prepared.usageError, ExitCode.usage);
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(prepared.argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0; usage errors were already printed.
      if (err.exitCode !== 0 && wantsJson(argv)) writeJsonError(err.message.replace(/^error: /, ''), ExitCode.usage);
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`meshwasm: ${message}\n`);
    // A script that asked for JSON gets its failure as JSON on stdout too.
    // (Unless the command printed its report already: analyze/bench exit 9 after the JSON report.)
    if (wantsJson(argv) && !resultPrinted()) writeJsonError(message, code, err);
    if (code === ExitCode.internal && err instanceof Error && err.stack && process.env.MESHWASM_DEBUG) {
      process.stderr.write(err.stack + '\n');
    }
    return code;
  }
}

/** `{"error": {"message", "exitCode", "kind"?, "details"?}}`: the shape every -o json failure has. */
function writeJsonError(message: string, exitCode: number, err?: unknown): void {
  const kind = (err as { kind?: unknown } | undefined)?.kind;
  const details = (err as { details?: unknown } | undefined)?.details;
  const error = {
    message,
    exitCode,
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(details !== undefined ? { details } : {}),
  };
  process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
}

// A command may set process.exitCode itself (run: 9 when a filter trapped) and still return normally.
const code = await main(process.argv);
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
