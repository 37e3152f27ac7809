// Every temporary directory a test file creates is removed when the file ends, and a directory
// that cannot be removed fails the file: a vitest setup file (vitest.config.ts), run in each test
// file's worker before the file is imported. mkdtemp is wrapped where it is defined, so a test, a
// helper, and the code under test running in the test's process are all covered, whichever way
// they import it. Only this process's own directories are tracked: counting meshwasm-* entries
// in the shared tmpdir would race with parallel workers (and other checkouts' runs).
// Directories made by child processes (a spawned CLI) are theirs to remove.
import fs, { existsSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll } from 'vitest';

const KEY = Symbol.for('meshwasm.test.tempDirs');
type Tracked = { dirs: Set<string> };
const g = globalThis as { [KEY]?: Tracked };

if (!g[KEY]) {
  const tracked: Tracked = { dirs: new Set() };
  g[KEY] = tracked;
  const mkdtempSync = fs.mkdtempSync;
  fs.mkdtempSync = ((prefix: string, options?: fs.EncodingOption) => {
    const dir = mkdtempSync(prefix, options) as string;
    tracked.dirs.add(dir);
    return dir;
  }) as typeof fs.mkdtempSync;
  const mkdtemp = fs.promises.mkdtemp;
  fs.promises.mkdtemp = (async (prefix: string, options?: fs.EncodingOption) => {
    const dir = (await mkdtemp(prefix, options)) as string;
    tracked.dirs.add(dir);
    return dir;
  }) as typeof fs.promises.mkdtemp;
  // ESM imports of node:fs and node:fs/promises see the wrappers too.
  syncBuiltinESMExports();
}

afterAll(() => {
  const tracked = g[KEY]!;
  const left: string[] = [];
  for (const dir of tracked.dirs) {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    if (existsSync(dir)) left.push(dir);
  }
  tracked.dirs.clear();
  if (left.length > 0) throw new Error(`temporary directories could not be removed: ${left.join(', ')}`);
});
