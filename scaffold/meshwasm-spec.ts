import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The dependency spec a new project gets for meshwasm itself. Run from an installed package
 * (npm install -g, npx), the project asks for the same release line, `^<version>`, as any npm
 * dependency would. Run from a git checkout (npm link, node bin/meshwasm.js), no published
 * release holds the code being run, so the project points at the checkout with `file:`.
 * `--meshwasm <spec>` overrides both (a tarball, a git URL, another range).
 */
export function meshwasmSpec(root: string, version: string, override?: string): string {
  if (override) return override;
  if (existsSync(path.join(root, '.git'))) return `file:${root.split(path.sep).join('/')}`;
  return `^${version}`;
}
