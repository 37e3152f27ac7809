import { spawn } from 'node:child_process';

export interface TestRun {
  ok: boolean;
  ms: number;
  /** The last lines of what the script printed (stdout and stderr), for a failed run. */
  tail: string;
}

/**
 * Runs the project's `npm run <script>` (its tests) in `dir`, as the author would. CI=1 keeps
 * test runners out of watch mode and colour codes out of the output `dev` quotes.
 */
export function runNpmScript(dir: string, script: string): Promise<TestRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', script, '--silent'], {
      cwd: dir,
      env: { ...process.env, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (d: Buffer) => {
      // Only the end is quoted; keep memory bounded for a chatty suite.
      output = (output + d.toString()).slice(-64 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const done = (ok: boolean, extra = '') =>
      resolve({
        ok,
        ms: Math.round(performance.now() - started),
        tail: (output + extra).trimEnd().split('\n').slice(-12).join('\n'),
      });
    child.on('error', (err) => done(false, `\nnpm could not be started: ${err.message}`));
    child.on('close', (code) => done(code === 0));
  });
}
