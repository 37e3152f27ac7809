import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { docCommands, sh } from '../scaffold/doc-commands.js';
import { meshwasm } from './build-fixture.js';

const repo = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const work = mkdtempSync(path.join(tmpdir(), 'mw-scaffold-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The named templates are the shipped filters (filters/<name>/): each scaffold, made from this
// checkout (so meshwasm is a file: dependency, installed by a real npm install), must run every
// command its README.md and FILTER.md show, as written. The blank template is covered the same
// way from the packed tarball in test/scaffold/package-install.test.ts.
describe('a scaffolded project outside the repository runs every command its docs show', () => {
  for (const template of ['authz', 'telemetry', 'header-routing']) {
    it(`template ${template}: README.md and FILTER.md commands, npm test and typecheck included`, async () => {
      const dir = path.join(work, `${template}-filter`);
      expect(path.relative(repo, dir).startsWith('..')).toBe(true);
      const init = await meshwasm('init', dir, '--template', template, '--yes');
      expect(init.status, init.stderr).toBe(0);
      // Each distinct command once (FILTER.md repeats the build and npm test the README shows).
      const commands = [
        ...new Set([...docCommands(path.join(dir, 'README.md')), ...docCommands(path.join(dir, 'FILTER.md'))]),
      ];
      expect(commands).toContain('npm test');
      expect(commands.filter((c) => c.includes(' run build/release.wasm -r examples/')).length).toBeGreaterThan(0);
      for (const command of commands) {
        const r = await sh(command.replace(/^npm install$/, 'npm install --no-audit --no-fund --prefer-offline'), dir);
        expect(r.status, `${command}\n${r.output}`).toBe(0);
        if (command === 'npm test') expect(r.output).toMatch(/Tests\s+\d+ passed/);
      }
    }, 900_000);
  }
});

// The tcp template (templates/tcp, a network filter): a standalone project that builds and passes its own tests.
describe('a scaffolded network-filter project outside the repository', () => {
  it('template tcp: npm install, npx meshwasm build and npm test pass', async () => {
    const dir = path.join(work, 'tcp-filter');
    const init = await meshwasm('init', dir, '--template', 'tcp', '--yes');
    expect(init.status, init.stderr).toBe(0);
    for (const command of ['npm install --no-audit --no-fund --prefer-offline', 'npx meshwasm build', 'npm test']) {
      const r = await sh(command, dir);
      expect(r.status, `${command}\n${r.output}`).toBe(0);
      if (command === 'npm test') expect(r.output).toMatch(/Tests\s+\d+ passed/);
    }
  }, 900_000);
});
