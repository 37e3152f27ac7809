import { chmod, stat, writeFile } from 'node:fs/promises';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';
import { readPassphrase, type SigningFlags } from './signing-options.js';

interface KeygenFlags extends SigningFlags {
  outputKeyPrefix: string;
  force?: boolean;
  output: OutputFormat;
}

/** Writes PREFIX.key (encrypted, mode 0600) and PREFIX.pub; never prints the private key. */
export async function keygen(flags: KeygenFlags): Promise<void> {
  const { generateSigningKeyPair } = await import('../../registry/signing/index.js');
  const keyPath = `${flags.outputKeyPrefix}.key`;
  const pubPath = `${flags.outputKeyPrefix}.pub`;
  for (const p of [keyPath, pubPath]) {
    if (!flags.force && (await stat(p).catch(() => undefined)))
      throw new CliError(
        `keygen: ${p} already exists; pass --force to replace it, or --output-key-prefix to write elsewhere`,
        ExitCode.invalidInput,
      );
  }
  const passphrase = await readPassphrase('keygen', flags);
  if (!passphrase)
    throw new CliError(
      'keygen: no passphrase; set MESHWASM_PASSWORD or pipe one in with --passphrase-stdin (the private key is always encrypted)',
      ExitCode.usage,
    );
  const pair = generateSigningKeyPair(passphrase);
  await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(pubPath, pair.publicKeyPem);
  const result = { privateKey: keyPath, publicKey: pubPath, keyId: pair.keyId };
  printResult(
    flags.output,
    result,
    () =>
      `wrote ${keyPath} (ECDSA P-256, encrypted) and ${pubPath}\n  key id: ${pair.keyId}\n` +
      `  sign with "meshwasm sign REF --key ${keyPath}", verify with "meshwasm verify REF --key ${pubPath}"`,
  );
}
