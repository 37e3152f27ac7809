import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProject } from '../../builder/index.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Compiles an AssemblyScript fixture under test/sdk/fixtures/<name> with the real builder into
 * a temp dir (fixtures are committed as sources, never as .wasm) and returns the module's path.
 * The result is cached by a hash of the fixture's and the SDK's sources, so the test files that
 * share a fixture compile it once, and any change to either recompiles.
 */
export async function buildFixture(name: string, target: 'release' | 'debug' = 'release'): Promise<string> {
  const dir = path.join(repo, 'test/sdk/fixtures', name);
  const hash = createHash('sha256');
  for (const base of [path.join(dir, 'assembly'), path.join(repo, 'sdk'), path.join(repo, 'builder')]) {
    for (const f of listFiles(base)) hash.update(f).update(readFileSync(f));
  }
  hash.update(target);
  const cacheDir = path.join(tmpdir(), 'meshwasm-sdk-fixtures');
  mkdirSync(cacheDir, { recursive: true });
  const cached = path.join(cacheDir, `${name}-${hash.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(cached)) return cached;
  const tmp = `${cached}.${process.pid}.tmp.wasm`;
  await buildProject({ dir, target, outFile: tmp });
  if (!existsSync(cached)) renameSync(tmp, cached);
  return cached;
}

/** Builds without the cache, for tests about the build itself. */
export async function buildFixtureFresh(name: string, outFile: string, target: 'release' | 'debug' = 'release') {
  return buildProject({ dir: path.join(repo, 'test/sdk/fixtures', name), target, outFile });
}

function listFiles(base: string): string[] {
  const out: string[] = [];
  for (const ent of readdirSync(base, { withFileTypes: true, recursive: true })) {
    if (ent.isFile() && ent.name.endsWith('.ts')) out.push(path.join(ent.parentPath, ent.name));
  }
  return out.sort();
}


