import type { Command } from 'commander';

/**
 * What commander cannot say by itself, decided on argv before it parses:
 * - `-v` was meshwasm's version flag; commander's convention (and now ours) is `-V`. `-v` alone
 *   still prints the version until 0.3.
 * - `meshwasm help <name>` for a name that is no command printed the general help and exited 2
 *   without saying why; it now says the command is unknown.
 * Returns the argv to parse, or a usage error message.
 */
export function preparse(program: Command, argv: string[]): { argv: string[] } | { usageError: string } {
  const args = argv.slice(2);
  if (args.length === 1 && args[0] === '-v') return { argv: [...argv.slice(0, 2), '-V'] };
  if (args[0] === 'help' && args[1] !== undefined && !args[1].startsWith('-')) {
    const known = program.commands.map((c) => c.name());
    if (!known.includes(args[1]) && !program.commands.some((c) => c.aliases().includes(args[1]!)))
      return { usageError: `unknown command "${args[1]}"; the commands are: ${known.join(', ')}` };
  }
  return { argv };
}

/** `-o json` / `--output json` / `--output=json` / `-ojson` anywhere on the command line. */
export function wantsJson(argv: string[]): boolean {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-o' || a === '--output') && argv[i + 1] === 'json') return true;
    if (a === '--output=json' || a === '-ojson') return true;
  }
  return false;
}
