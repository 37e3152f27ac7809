import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { docCommands, sh } from './doc-commands.js';

const repo = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(path.join(tmpdir(), 'mw-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The real artifact, as `npm publish` would upload it. --ignore-scripts: `npm test` has built
// dist/ already (pretest), and rebuilding it here would race the suites that run the CLI.
describe('meshwasm as an installed package (npm pack, npm install -g --prefix, init, npm install, npm test)', () => {
  let tarball = '';

  it('npm pack holds dist/, bin, types, the SDK, templates and asconfig.json, and nothing from test/', async () => {
    const pack = await sh(`npm pack --ignore-scripts --json --pack-destination ${JSON.stringify(work)}`, repo);
    expect(pack.status, pack.output).toBe(0);
    const [info] = JSON.parse(pack.output.slice(pack.output.indexOf('['))) as { filename: string }[];
    tarball = path.join(work, info!.filename);
    const list = await sh(`tar -tzf ${JSON.stringify(tarball)}`, work);
    const files = list.output.split('\n').filter(Boolean);
    for (const f of [
      'package/bin/meshwasm.js',
      'package/dist/cli/main.js',
      'package/dist/host-sim/harness/index.d.ts',
      'package/sdk/index.ts',
      'package/sdk/exports.ts',
      'package/templates/common/package.json.tmpl',
      'package/templates/blank/assembly/index.ts',
      'package/templates/blank/examples/request.yaml',
      'package/asconfig.json',
      'package/filters/authz/examples/ext-authz.yaml',
      'package/control-plane/crds/extension-crds.yaml',
      'package/docs/run.md',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith('package/test/') || f.includes('.test.js'))).toEqual([]);
  }, 120_000);

  it('installed globally with --prefix, init writes ^version, and the project installs, tests and typechecks', async () => {
    expect(tarball).not.toBe('');
    const prefix = path.join(work, 'prefix');
    const install = await sh(
      `npm install -g ${JSON.stringify(tarball)} --prefix ${JSON.stringify(prefix)} --no-audit --no-fund --prefer-offline`,
      work,
    );
    expect(install.status, install.output).toBe(0);
    const bin = path.join(prefix, 'bin', 'meshwasm');
    expect(existsSync(bin)).toBe(true);

    const projects = path.join(work, 'projects');
    mkdirSync(projects);
    const init = await sh(`${JSON.stringify(bin)} init f --template blank`, projects);
    expect(init.status, init.output).toBe(0);
    const f = path.join(projects, 'f');
    const manifest = JSON.parse(readFileSync(path.join(f, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    // Not a git checkout: the project asks for the release line, not a path.
    expect(manifest.devDependencies.meshwasm).toBe(`^${version}`);
    expect(manifest.devDependencies.typescript).toBeDefined();

    // meshwasm is not on the public registry yet: resolve the dependency to the same tarball.
    const dep = await sh(`npm install --save-dev ${JSON.stringify(tarball)} --no-audit --no-fund --prefer-offline`, f);
    expect(dep.status, dep.output).toBe(0);
    // Every command the scaffold's README shows, as written (npm install included).
    const commands = docCommands(path.join(f, 'README.md'));
    expect(commands).toContain('npm test');
    for (const command of commands) {
      const r = await sh(command, f);
      expect(r.status, `${command}\n${r.output}`).toBe(0);
      if (command === 'npm test') expect(r.output).toMatch(/Tests\s+4 passed/);
    }
    expect(existsSync(path.join(f, 'build', 'debug.wasm.map'))).toBe(true);
    expect(existsSync(path.join(f, 'oci-layout', 'index.json'))).toBe(true);
  }, 900_000);

  it('--meshwasm overrides the dependency spec', async () => {
    const dir = path.join(work, 'override');
    const r = await sh(
      `node ${JSON.stringify(path.join(repo, 'bin/meshwasm.js'))} init ${JSON.stringify(dir)} --meshwasm file:../meshwasm.tgz -o json`,
      work,
    );
    expect(r.status, r.output).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(manifest.devDependencies.meshwasm).toBe('file:../meshwasm.tgz');
  });
});
