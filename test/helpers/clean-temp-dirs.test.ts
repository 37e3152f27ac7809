// The setup file clean-temp-dirs.ts removes what a test file leaves in the temp directory: a
// real vitest run of a fixture that makes three directories and removes none.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the fixture in its own vitest, with or without the setup file; returns what it left. */
function runFixture(withSetup: boolean): string[] {
  const probe = `${process.pid}-${withSetup ? 'on' : 'off'}`;
  const config = path.join(repo, `vitest.probe-${probe}.config.mjs`);
  writeFileSync(
    config,
    `export default { test: { include: ['test/helpers/fixtures/makes-temp-dirs.fixture.ts'], ${withSetup ? "setupFiles: ['test/helpers/clean-temp-dirs.ts']," : ''} pool: 'forks' } };\n`,
  );
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config],
      {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, MESHWASM_PROBE: probe },
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return readdirSync(tmpdir()).filter((d) => d.startsWith(`meshwasm-leak-probe-${probe}-`));
  } finally {
    rmSync(config, { force: true });
  }
}

describe('temporary directories of a test file are removed when it ends (test/helpers/clean-temp-dirs.ts)', () => {
  it('without the setup file the fixture leaves its three directories; with it, none', () => {
    const leaked = runFixture(false);
    expect(leaked).toHaveLength(3);
    for (const d of leaked) rmSync(path.join(tmpdir(), d), { recursive: true, force: true });
    expect(runFixture(true)).toEqual([]);
  });
});
