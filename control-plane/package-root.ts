import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory, found by walking up to meshwasm's package.json. Source files
 * (run by vitest) and compiled ones (dist/) sit at different depths, so a fixed relative path
 * to a data file such as the CRD schemas would only work for one of them.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'meshwasm') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find meshwasm's package.json above ${fileURLToPath(from)}`);
    dir = up;
  }
}
