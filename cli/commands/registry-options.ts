import { CliError, ExitCode } from '../errors.js';
import { staticCredentials, type TargetOptions } from '../../registry/index.js';

/** Flags every registry command shares. */
export interface RegistryFlags {
  plainHttp?: boolean;
  insecure?: boolean;
  username?: string;
  passwordStdin?: boolean;
  maxSize?: string;
  deadline?: string;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the password the way docker does: from stdin with --password-stdin (trailing newline dropped), else a hidden prompt on a TTY. */
export async function readPassword(cmd: string, flags: RegistryFlags): Promise<string> {
  if (flags.passwordStdin) {
    const pw = (await readStdin()).replace(/\r?\n$/, '');
    if (!pw) throw new CliError(`${cmd}: --password-stdin read an empty password`, ExitCode.invalidInput);
    return pw;
  }
  if (!process.stdin.isTTY)
    throw new CliError(`${cmd}: no password given; pipe it in with --password-stdin`, ExitCode.usage);
  return promptHidden('Password: ');
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolvePromise) => {
    process.stderr.write(question);
    const stdin = process.stdin;
    stdin.setRawMode?.(true);
    let value = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode?.(false);
          stdin.off('data', onData);
          stdin.pause();
          process.stderr.write('\n');
          resolvePromise(value);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        value = ch === '\u007f' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

export async function targetOptions(cmd: string, flags: RegistryFlags): Promise<TargetOptions> {
  const opts: TargetOptions = {};
  if (flags.plainHttp) opts.plainHttp = true;
  if (flags.insecure) opts.insecure = true;
  if (flags.maxSize !== undefined) opts.maxBytes = parseSize(cmd, flags.maxSize);
  if (flags.deadline !== undefined) opts.deadlineMs = parseDuration(cmd, '--deadline', flags.deadline);
  if (flags.username !== undefined) {
    opts.credentials = staticCredentials({ username: flags.username, password: await readPassword(cmd, flags) });
  } else if (flags.passwordStdin) {
    throw new CliError(`${cmd}: --password-stdin needs --username`, ExitCode.usage);
  }
  return opts;
}

/** `256MiB`, `10MB`, `4096`. */
export function parseSize(cmd: string, text: string): number {
  const m = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(text.trim());
  if (!m)
    throw new CliError(`${cmd}: --max-size "${text}" is not a size; write it as 4096, 64KiB or 256MiB`, ExitCode.usage);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1 << 20, gb: 1e9, gib: 1 << 30 };
  return Number(m[1]) * mult[unit]!;
}

/** `300s`, `5m`, `1500ms`, or plain seconds (`90`). */
export function parseDuration(cmd: string, flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(text.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's').toLowerCase() as 'ms']! : NaN;
  if (!m || !(ms > 0))
    throw new CliError(`${cmd}: ${flag} "${text}" is not a duration; write it as 300s, 5m or 1500ms`, ExitCode.usage);
  return Math.round(ms);
}

export function parseAnnotations(cmd: string, list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0)
      throw new CliError(
        `${cmd}: --annotation "${kv}" must be key=value, e.g. org.opencontainers.image.source=https://github.com/acme/authz`,
        ExitCode.usage,
      );
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** The first 12 hex digits of a digest, for progress lines. */
export function short(digest: string): string {
  return digest.slice(0, 19);
}
