import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { ExitCode, exitCodeFor } from './errors.js';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0; usage errors were already printed.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`meshwasm: ${message}\n`);
    if (code === ExitCode.internal && err instanceof Error && err.stack && process.env.MESHWASM_DEBUG) {
      process.stderr.write(err.stack + '\n');
    }
    return code;
  }
}

// A command may set process.exitCode itself (run: 9 when a filter trapped) and still return normally.
const code = await main(process.argv);
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
