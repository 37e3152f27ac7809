import { readFile } from 'node:fs/promises';
import type { SigningMethod, TrustPolicy } from '../../registry/signing/index.js';
import { CliError, ExitCode } from '../errors.js';
import { readStdin } from './registry-options.js';

/** Flags of sign, push --sign and verify. */
export interface SigningFlags {
  key?: string | string[];
  keyless?: boolean;
  passphraseStdin?: boolean;
  passwordStdin?: boolean;
  identityToken?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  trustedRoot?: string;
}

/** The private key's passphrase: --passphrase-stdin, else $MESHWASM_PASSWORD, else $COSIGN_PASSWORD (what cosign users already export). */
export async function readPassphrase(cmd: string, flags: SigningFlags): Promise<string | undefined> {
  if (flags.passphraseStdin) {
    if (flags.passwordStdin)
      throw new CliError(
        `${cmd}: --passphrase-stdin and --password-stdin both want stdin; pass the key passphrase in MESHWASM_PASSWORD instead`,
        ExitCode.usage,
      );
    return (await readStdin()).replace(/\r?\n$/, '');
  }
  return process.env.MESHWASM_PASSWORD ?? process.env.COSIGN_PASSWORD;
}

async function readInput(cmd: string, path: string, what: string, next: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `${cmd}: cannot read ${what} "${path}" (${code ?? (err as Error).message}); ${next}`,
      code === 'ENOENT' ? ExitCode.notFound : ExitCode.invalidInput,
    );
  }
}

/** --key FILE (a private key) or --keyless (an OIDC token for Fulcio, an entry in Rekor). */
export async function signingMethod(cmd: string, flags: SigningFlags): Promise<SigningMethod> {
  const { loadPrivateKey } = await import('../../registry/signing/index.js');
  const keyFile = Array.isArray(flags.key) ? flags.key[0] : flags.key;
  if (keyFile && flags.keyless) throw new CliError(`${cmd}: pass either --key or --keyless, not both`, ExitCode.usage);
  if (keyFile) {
    const pem = await readInput(cmd, keyFile, 'the private key', 'create one with "meshwasm keygen"');
    try {
      return { kind: 'key', privateKey: loadPrivateKey(pem, await readPassphrase(cmd, flags), keyFile) };
    } catch (err) {
      throw new CliError(`${cmd}: ${(err as Error).message}`, ExitCode.invalidInput);
    }
  }
  if (flags.keyless) {
    let token = flags.identityToken ?? process.env.SIGSTORE_ID_TOKEN;
    if (token?.startsWith('@'))
      token = (await readInput(cmd, token.slice(1), 'the identity token', 'fix the path')).trim();
    if (!token)
      throw new CliError(
        `${cmd}: --keyless needs an OIDC identity token; pass --identity-token TOKEN|@file or set SIGSTORE_ID_TOKEN (CI providers issue one)`,
        ExitCode.usage,
      );
    return {
      kind: 'keyless',
      identityToken: token,
      ...(flags.fulcioUrl ? { fulcioURL: flags.fulcioUrl } : {}),
      ...(flags.rekorUrl ? { rekorURL: flags.rekorUrl } : {}),
    };
  }
  throw new CliError(
    `${cmd}: say how to sign: --key meshwasm.key (from "meshwasm keygen"), or --keyless with an OIDC identity token`,
    ExitCode.usage,
  );
}

/** What verify trusts: --key FILE (repeatable), and/or --certificate-identity + --certificate-oidc-issuer with --trusted-root. */
export async function trustPolicy(cmd: string, flags: SigningFlags): Promise<TrustPolicy> {
  const { buildTrustPolicy } = await import('../../registry/signing/index.js');
  const keyFiles = flags.key === undefined ? [] : Array.isArray(flags.key) ? flags.key : [flags.key];
  const keys = [];
  for (const k of keyFiles)
    keys.push({
      name: k,
      pem: await readInput(cmd, k, 'the public key', 'pass the .pub file "meshwasm keygen" wrote'),
    });
  const identities = [];
  if (flags.certificateIdentity || flags.certificateOidcIssuer) {
    if (!flags.certificateIdentity || !flags.certificateOidcIssuer)
      throw new CliError(
        `${cmd}: --certificate-identity and --certificate-oidc-issuer go together (as in cosign verify)`,
        ExitCode.usage,
      );
    identities.push({ issuer: flags.certificateOidcIssuer, subject: flags.certificateIdentity });
  }
  if (!keys.length && !identities.length)
    throw new CliError(
      `${cmd}: say whom to trust: --key meshwasm.pub, or --certificate-identity and --certificate-oidc-issuer`,
      ExitCode.usage,
    );
  const root = flags.trustedRoot
    ? await readInput(cmd, flags.trustedRoot, 'the trusted root', 'pass a Sigstore trusted_root.json')
    : undefined;
  return buildTrustPolicy({
    keys,
    identities,
    ...(root !== undefined ? { trustedRootJson: root, trustedRootName: flags.trustedRoot } : {}),
  });
}
