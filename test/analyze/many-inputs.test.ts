// meshwasm analyze over several inputs (the built CLI, files on disk, a module served over real
// HTTP on 127.0.0.1): each finding once, a warning for an input without extensions, YAML errors
// quoted with their line, and credentials only the way the registry commands take them.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, startModuleServer, tempDir, wasmModule } from '../control-plane/helpers.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;

function run(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  child.stdin.end(input ?? '');
  return new Promise((r) => child.once('close', (status) => r({ status, stdout, stderr })));
}

const plugin = (name: string, spec: object) =>
  YAML.stringify({
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name, namespace: 'default' },
    spec,
  });

describe('meshwasm analyze with several inputs', () => {
  const dir = tempDir('analyze-many');
  // A valid wasm module that is no proxy-wasm filter: a finding analyze reports (once).
  const mod = wasmModule('no abi');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;

  beforeAll(async () => {
    modules = await startModuleServer({ '/m.wasm': mod });
    mkdirSync(join(dir, 'ext'));
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'ext', 'a.yaml'), plugin('a', { url: `${modules.url}/m.wasm`, sha256: sha256(mod) }));
    writeFileSync(
      join(dir, 'deploy', 'web.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n',
    );
    writeFileSync(
      join(dir, 'broken.yaml'),
      'apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nspec:\n  url: [unclosed\n',
    );
  });
  afterAll(async () => {
    await modules.close();
  });

  it('reads files and directories together, reports each finding once, warns about an input without extensions', async () => {
    const a = join(dir, 'ext', 'a.yaml');
    // a.yaml is named twice, once directly and once through its directory.
    const r = await run(['analyze', a, join(dir, 'ext'), join(dir, 'deploy'), '-o', 'json']);
    const report = JSON.parse(r.stdout);
    const keys = report.findings.map((f: any) => `${f.code} ${f.subject} ${f.message}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(report.checked).toEqual(['WasmPlugin default/a']);
    const errors = report.findings.filter((f: any) => f.severity === 'Error');
    expect(errors.length).toBeGreaterThan(0);
    const noExt = report.findings.filter((f: any) => f.code === 'MW0004');
    expect(noExt).toEqual([
      expect.objectContaining({
        severity: 'Warning',
        message: `${join(dir, 'deploy')} holds 1 file(s) but no WasmPlugin, TrafficExtension or EnvoyExtensionPolicy`,
      }),
    ]);
    expect(r.status).toBe(9);
  });

  it('quotes a YAML error with file:line:col, the line that failed and a caret', async () => {
    const r = await run(['analyze', join(dir, 'broken.yaml')]);
    expect(r.status).toBe(9);
    // The parser notices the unclosed [ at the end of the file (line 5); line 4 is quoted before it.
    expect(r.stdout).toContain(`${join(dir, 'broken.yaml')}:5:1: not valid YAML/JSON: Flow sequence`);
    expect(r.stdout).toContain('  4 |   url: [unclosed\n  5 | \n');
    expect(r.stdout).toMatch(/\n\s+\^/);
  });

  it('refuses a password on the command line without echoing it; takes -u with --password-stdin', async () => {
    const a = join(dir, 'ext', 'a.yaml');
    const bad = await run(['analyze', a, '--registry-credentials', '127.0.0.1:5000=alice:hunter2']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain('-u USER --password-stdin');
    expect(bad.stderr + bad.stdout).not.toContain('hunter2');

    const noUser = await run(['analyze', a, '--password-stdin'], 'pw\n');
    expect(noUser.status).toBe(2);
    expect(noUser.stderr).toContain('--password-stdin needs --username');

    const ok = await run(['analyze', a, '-u', 'alice', '--password-stdin', '-o', 'json'], 'hunter2\n');
    expect(JSON.parse(ok.stdout).checked).toEqual(['WasmPlugin default/a']);
    expect(ok.stdout + ok.stderr).not.toContain('hunter2');
  });
});
