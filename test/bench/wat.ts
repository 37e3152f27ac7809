import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Assembles a .wat file with wabt's wat2wasm (installed by scripts/system-packages.txt). */
export function wat2wasm(path: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-'));
  try {
    const out = join(dir, 'module.wasm');
    execFileSync('wat2wasm', [path, '-o', out]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
