import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

/**
 * The shell commands a Markdown file shows: every line of its ```sh blocks, trailing
 * `# comments` dropped. A scaffold's docs are tested by running exactly these.
 */
export function docCommands(markdownFile: string): string[] {
  const out: string[] = [];
  let inShell = false;
  for (const line of readFileSync(markdownFile, 'utf8').split('\n')) {
    if (/^```(sh|bash|shell)\s*$/.test(line)) inShell = true;
    else if (line.startsWith('```')) inShell = false;
    else if (inShell && line.trim() && !line.trim().startsWith('#')) out.push(line.replace(/\s+#\s.*$/, '').trim());
  }
  return out;
}

export interface ShellRun {
  status: number | null;
  output: string;
}

/**
 * Runs a command line in `cwd` through bash, as a user types it. The npm_* variables of an
 * enclosing `npm test` must not leak in (they would point npm at this repository).
 */
export function sh(command: string, cwd: string, extraEnv: Record<string, string> = {}): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const child = spawn('bash', ['-c', command], {
      cwd,
      env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extraEnv },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output: stripVTControlCharacters(output) }));
  });
}
