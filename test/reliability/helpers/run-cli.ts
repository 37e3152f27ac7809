// Runs bin/meshwasm.js (dist/: `npm run build` first) without blocking the test's event loop, so
// servers the test runs in-process keep answering the child.
import { execFile } from 'node:child_process';

const bin = new URL('../../../bin/meshwasm.js', import.meta.url).pathname;

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
