import { login as registryLogin } from '../../registry/index.js';
import { CliError, ExitCode } from '../errors.js';
import { parseOutputFormat, printResult } from '../output.js';
import { createInterface } from 'node:readline/promises';
import { readPassword, type RegistryFlags } from './registry-options.js';

export async function login(registry: string, flags: RegistryFlags & { output?: string }): Promise<void> {
  const format = parseOutputFormat(flags.output);
  if (!flags.username && process.stdin.isTTY && !flags.passwordStdin) flags.username = await promptLine('Username: ');
  if (!flags.username)
    throw new CliError(
      `login: pass --username (and the password with --password-stdin) for ${registry}`,
      ExitCode.usage,
    );
  const password = await readPassword('login', flags);
  const r = await registryLogin(registry, flags.username, password, {
    plainHttp: flags.plainHttp,
    insecure: flags.insecure,
  });
  printResult(
    format,
    r,
    () =>
      `login succeeded for ${r.registry}; credentials stored ${r.storedIn === 'helper' ? 'in the credential helper named by' : 'in'} ${r.configPath}`,
  );
}

/** Prompts only on a terminal, like docker login; the answer is trimmed. */
async function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}
