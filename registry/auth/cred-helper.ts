import { spawn } from 'node:child_process';
import { RegistryError } from '../errors.js';
import type { Credentials } from './credentials.js';

/**
 * Talks to a docker credential helper (`docker-credential-<name>` on PATH) with its protocol:
 * the verb as argument, the server URL or a JSON object on stdin, JSON on stdout.
 */
export async function helperGet(helper: string, serverUrl: string): Promise<Credentials | undefined> {
  const { code, stdout, stderr } = await run(helper, 'get', serverUrl);
  if (code !== 0) {
    // Helpers say "credentials not found in native keychain" when they have nothing: that is anonymous, not an error.
    if (/not found/i.test(stdout + stderr)) return undefined;
    throw new RegistryError(
      'auth',
      `credential helper docker-credential-${helper} failed for ${serverUrl}: ${(stderr || stdout).trim() || 'exit ' + code}; check the helper or run "meshwasm login ${serverUrl}"`,
    );
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new RegistryError(
      'auth',
      `credential helper docker-credential-${helper} printed something that is not JSON for ${serverUrl}`,
    );
  }
  if (!parsed.Secret) return undefined;
  // Docker's convention: the user name <token> marks an identity (refresh) token.
  if (parsed.Username === '<token>') return { identityToken: parsed.Secret };
  return { username: parsed.Username ?? '', password: parsed.Secret };
}

export async function helperStore(helper: string, serverUrl: string, username: string, secret: string): Promise<void> {
  const { code, stdout, stderr } = await run(
    helper,
    'store',
    JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }),
  );
  if (code !== 0)
    throw new RegistryError(
      'auth',
      `credential helper docker-credential-${helper} could not store credentials for ${serverUrl}: ${(stderr || stdout).trim()}`,
    );
}

export async function helperErase(helper: string, serverUrl: string): Promise<void> {
  const { code, stdout, stderr } = await run(helper, 'erase', serverUrl);
  if (code !== 0 && !/not found/i.test(stdout + stderr)) {
    throw new RegistryError(
      'auth',
      `credential helper docker-credential-${helper} could not erase credentials for ${serverUrl}: ${(stderr || stdout).trim()}`,
    );
  }
}

function run(helper: string, verb: string, input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(`docker-credential-${helper}`, [verb], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        new RegistryError(
          'auth',
          err.code === 'ENOENT'
            ? `credential helper docker-credential-${helper} is not on PATH (named by your docker config); install it or remove it from the config`
            : `credential helper docker-credential-${helper}: ${err.message}`,
        ),
      );
    });
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}
