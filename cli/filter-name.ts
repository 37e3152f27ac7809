import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What asc names its outputs: a file name that says nothing about the filter. */
const GENERIC = new Set(['release', 'debug', 'module', 'plugin', 'filter', 'main', 'index']);

/**
 * The plugin name a `--module` gets without `--name`: the project's package name (the module in
 * a project's build/ directory), else the directory's name for a generic file name
 * (a/build/release.wasm -> a), else the file's own name. Two projects' build/release.wasm then
 * get two names, as a chain requires.
 */
export function defaultFilterName(file: string): string {
  const abs = path.resolve(file);
  const own = path.basename(abs, '.wasm');
  let dir = path.dirname(abs);
  const inBuild = path.basename(dir) === 'build';
  if (inBuild) dir = path.dirname(dir);
  // A file named for what it is (authz.wasm) keeps its name unless it is a project's build output.
  if (!inBuild && !GENERIC.has(own)) return own;
  const pkg = path.join(dir, 'package.json');
  if (existsSync(pkg)) {
    try {
      const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
      if (typeof name === 'string' && name) return name;
    } catch {
      // an unreadable package.json says nothing about the name; fall through
    }
  }
  return GENERIC.has(own) ? path.basename(dir) : own;
}
