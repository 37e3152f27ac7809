import { createServer } from 'node:net';
import { CliError, ExitCode } from './errors.js';

/**
 * Fails (exit 3, one line) when host:port cannot be bound, before a command creates anything
 * (cache directory, watches, servers): a second control plane started by mistake must leave no
 * trace. Port 0 always binds. A port taken between this check and the real bind still fails
 * there, with the server's own message.
 */
export async function assertCanListen(command: string, flag: string, hostPort: string): Promise<void> {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hostPort);
  if (!m)
    throw new CliError(
      `${command}: ${flag} "${hostPort}" is not host:port (e.g. 127.0.0.1:18000)`,
      ExitCode.invalidInput,
    );
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : `cannot be bound (${err.code ?? err.message})`;
      reject(
        new CliError(
          `${command}: ${flag} ${hostPort} ${why}; stop what listens there or pass another ${flag}`,
          ExitCode.invalidInput,
        ),
      );
    });
    s.listen(port, host, () => s.close(() => resolve()));
  });
}
