import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The meshwasm checkout or installed package this code runs from (source or dist/). */
export function packageRoot(): string {
  if (cached) return cached;
  for (let d = path.dirname(fileURLToPath(import.meta.url)); ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'meshwasm')
      return (cached = d);
    if (path.dirname(d) === d) throw new Error('meshwasm: cannot find its own package.json');
  }
}
