import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { ResolveError } from './module-source.js';

/**
 * Who may sign the modules of a namespace. Plain data (PEM text, not parsed keys) so this file
 * does not depend on the Sigstore libraries; the SignatureVerifier turns it into trust material.
 */
export interface NamespaceTrust {
  /** Where it came from, for messages: `policy.yaml namespaces.payments` or `--trusted-key`. */
  origin: string;
  keys: { name: string; pem: string }[];
  identities: { issuer: string; subject: string }[];
  trustedRoot?: { name: string; json: string };
}

/** Per-namespace trust; `*` applies to namespaces without an entry of their own. */
export interface SignaturePolicy {
  namespaces: Record<string, NamespaceTrust>;
}

export const POLICY_KIND = 'SignaturePolicy';
export const POLICY_API_VERSION = 'meshwasm.dev/v1alpha1';

export function trustFor(policy: SignaturePolicy | undefined, namespace: string): NamespaceTrust | undefined {
  return policy?.namespaces[namespace] ?? policy?.namespaces['*'];
}

/**
 * Reads a policy file (docs/signing.md, "Policy format"): key and trusted-root paths are
 * relative to the file. `extraKeys` (from --trusted-key) are trusted in every namespace.
 */
export async function loadSignaturePolicy(
  file: string | undefined,
  extraKeys: string[] = [],
): Promise<SignaturePolicy | undefined> {
  if (!file && !extraKeys.length) return undefined;
  const policy: SignaturePolicy = { namespaces: {} };
  if (file) {
    const text = await readText(file, 'signature policy', 'write one as in docs/signing.md');
    let doc: {
      apiVersion?: string;
      kind?: string;
      namespaces?: Record<string, { keys?: unknown; identities?: unknown; trustedRoot?: unknown }>;
    };
    try {
      doc = YAML.parse(text);
    } catch (err) {
      throw invalid(file, `is not YAML (${(err as Error).message})`);
    }
    if (doc?.kind !== POLICY_KIND || doc.apiVersion !== POLICY_API_VERSION)
      throw invalid(file, `must start with apiVersion: ${POLICY_API_VERSION} and kind: ${POLICY_KIND}`);
    if (!doc.namespaces || typeof doc.namespaces !== 'object' || !Object.keys(doc.namespaces).length)
      throw invalid(file, 'has no namespaces; add one (or "*" for all) with keys or identities');
    const base = dirname(resolve(file));
    for (const [ns, entry] of Object.entries(doc.namespaces)) {
      const origin = `${file} namespaces.${ns}`;
      const keys = asStrings(entry?.keys, `${origin}.keys`, file);
      const identities = asIdentities(entry?.identities, `${origin}.identities`, file);
      if (!keys.length && !identities.length)
        throw invalid(file, `namespaces.${ns} trusts nobody; list keys (PEM files) or identities (issuer + subject)`);
      const trust: NamespaceTrust = { origin, keys: [], identities };
      for (const k of keys) {
        const path = resolve(base, k);
        trust.keys.push({ name: path, pem: await readText(path, `public key of ${origin}`, 'fix the path') });
      }
      if (entry?.trustedRoot !== undefined) {
        if (typeof entry.trustedRoot !== 'string') throw invalid(file, `namespaces.${ns}.trustedRoot must be a path`);
        const path = resolve(base, entry.trustedRoot);
        trust.trustedRoot = { name: path, json: await readText(path, `trusted root of ${origin}`, 'fix the path') };
      } else if (identities.length)
        throw invalid(
          file,
          `namespaces.${ns} lists identities but no trustedRoot; keyless certificates are checked against a Sigstore trusted_root.json`,
        );
      policy.namespaces[ns] = trust;
    }
  }
  for (const k of extraKeys) {
    const path = resolve(k);
    const pem = await readText(path, '--trusted-key', 'pass the .pub file "meshwasm keygen" wrote');
    for (const ns of new Set([...Object.keys(policy.namespaces), '*'])) {
      policy.namespaces[ns] ??= { origin: '--trusted-key', keys: [], identities: [] };
      policy.namespaces[ns].keys.push({ name: path, pem });
    }
  }
  return policy;
}

async function readText(path: string, what: string, next: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ResolveError(
      `cannot read the ${what} "${path}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${next}`,
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'invalid-input',
    );
  }
}

function asStrings(v: unknown, where: string, file: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalid(file, `${where.slice(file.length + 1)} must be a list of file paths`);
  return v as string[];
}

function asIdentities(v: unknown, where: string, file: string): { issuer: string; subject: string }[] {
  if (v === undefined) return [];
  const ok =
    Array.isArray(v) &&
    v.every(
      (x) => x && typeof x.issuer === 'string' && typeof x.subject === 'string' && x.issuer !== '' && x.subject !== '',
    );
  if (!ok)
    throw invalid(
      file,
      `${where.slice(file.length + 1)} must be a list of {issuer, subject}, e.g. {issuer: https://token.actions.githubusercontent.com, subject: https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main}`,
    );
  return v as { issuer: string; subject: string }[];
}

function invalid(file: string, why: string): ResolveError {
  return new ResolveError(`signature policy ${file} ${why}`, 'invalid-input');
}
