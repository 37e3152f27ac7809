// Shared by the reliability suites: the shipped authz filter built from source (the real module a
// mesh runs), and a small wait that checks a condition on every turn instead of sleeping a guess.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildProject } from '../../builder/index.js';

let authz: Promise<Uint8Array> | undefined;

/** filters/authz compiled by the builder (release target), once per test file. */
export function authzModule(): Promise<Uint8Array> {
  authz ??= buildProject({
    dir: fileURLToPath(new URL('../../filters/authz', import.meta.url)),
    target: 'release',
  }).then(async (r) => new Uint8Array(await readFile(r.outFile)));
  return authz;
}

/** Resolves once `cond` holds, checking every few milliseconds (no timing assumption). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
