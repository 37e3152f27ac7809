import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Assembles a .wat file with wabt's wat2wasm (installed by scripts/system-packages.txt). */
export function wat2wasm(path: string): Uint8Array {
  const out = join(mkdtempSync(join(tmpdir(), 'mw-bench-')), 'module.wasm');
  execFileSync('wat2wasm', [path, '-o', out]);
  return new Uint8Array(readFileSync(out));
}

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
