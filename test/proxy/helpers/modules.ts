// Builds the proxy suites' WAT filters with wat2wasm (the command is in each file's header).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const built = new Map<string, Uint8Array>();

export function watModule(name: 'tagger' | 'authz-call' | 'access-counter'): Uint8Array {
  let m = built.get(name);
  if (!m) {
    const out = join(mkdtempSync(join(tmpdir(), 'mw-proxy-')), `${name}.wasm`);
    execFileSync('wat2wasm', [
      '--debug-names',
      new URL(`../fixtures/${name}.wat`, import.meta.url).pathname,
      '-o',
      out,
    ]);
    m = new Uint8Array(readFileSync(out));
    built.set(name, m);
  }
  return m;
}
