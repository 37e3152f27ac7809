import { stripVTControlCharacters } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { meshwasm } from './build-fixture.js';

const repo = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));

function run(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // A clean npm environment: the npm_* variables of an enclosing `npm test` must not leak in.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const child = spawn(cmd, args, { cwd, env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    // eslint-disable-next-line no-control-regex
    child.on('close', (status) => resolve({ status, output: stripVTControlCharacters(output) }));
  });
}

describe('a scaffolded project outside the repository (real npm install of the file: dependency)', () => {
  it('init blank, then npm install && npx meshwasm build && npm test pass inside it', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mw-scaffold-')), 'hello-filter');
    expect(path.relative(repo, dir).startsWith('..')).toBe(true);
    const init = await meshwasm('init', dir, '--template', 'blank', '--yes');
    expect(init.status, init.stderr).toBe(0);

    const install = await run('npm', ['install', '--no-audit', '--no-fund'], dir);
    expect(install.status, install.output).toBe(0);
    const build = await run('npx', ['meshwasm', 'build'], dir);
    expect(build.status, build.output).toBe(0);
    expect(build.output).toContain('ABI version: proxy-wasm 0.2.1');
    const test = await run('npm', ['test'], dir);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/Tests\s+4 passed/);
  }, 600_000);

  // tcp (templates/tcp) and the named templates that are the shipped filters (filters/<name>/): each scaffold must build and
  // pass its own tests outside the repository.
  for (const template of ['tcp', 'authz', 'telemetry', 'header-routing']) {
    it(`template ${template}: a standalone project that builds and passes its own tests`, async () => {
      const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mw-scaffold-')), `${template}-filter`);
      const init = await meshwasm('init', dir, '--template', template, '--yes');
      expect(init.status, init.stderr).toBe(0);
      const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], dir);
      expect(install.status, install.output).toBe(0);
      const test = await run('npm', ['test'], dir);
      expect(test.status, test.output).toBe(0);
      expect(test.output).toMatch(/Tests\s+\d+ passed/);
    }, 600_000);
  }
});
