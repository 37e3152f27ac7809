import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../analyze/index.js';
import { pushModule } from '../../registry/index.js';
import { modules } from './helpers/wat-modules.js';
import { startRegistry, tempFile, wasmPlugin, type RunningRegistry } from './helpers/setup.js';

// Runs the built CLI (npm test builds dist/ first), as a user or a CI job would.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input });

describe('meshwasm analyze (CLI)', () => {
  let reg: RunningRegistry;
  let dir: string;
  beforeAll(async () => {
    reg = await startRegistry();
    const p = await pushModule(modules.rejectsConfig(), `${reg.host}/filters/authz:v1`);
    const manifest = tempFile(
      'authz.yaml',
      wasmPlugin('authz', {
        url: `oci://${reg.host}/filters/authz:v1`,
        sha256: p.manifestDigest.slice(7),
        pluginConfig: { rule: 'x' },
      }),
    );
    dir = dirname(manifest);
    writeFileSync(
      join(dir, 'deploy.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n',
    );
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('prints findings as "CODE Severity (Kind ns/name) message" with the fix, and exits 9 at the threshold', () => {
    const r = meshwasm(['analyze', dir]);
    expect(r.status).toBe(9);
    expect(r.stdout).toMatch(
      /^MW0307 Error \(WasmPlugin default\/authz\) plugin "default.authz" rejected its configuration/m,
    );
    expect(r.stdout).toContain('authz: config has no "rules" field');
    expect(r.stdout).toMatch(/^ {4}fix: correct pluginConfig/m);
    expect(r.stderr).toContain('1 finding(s) at or above Error');
  });

  it('-o json is the report; -o yaml too; stdin works with "-"', () => {
    const r = meshwasm(['analyze', dir, '-o', 'json']);
    const report = JSON.parse(r.stdout) as {
      findings: { code: string; severity: string }[];
      counts: Record<string, number>;
      istioVersion: string;
    };
    expect(report.findings.map((f) => f.code)).toEqual(['MW0307']);
    expect(report.counts.Error).toBe(1);
    expect(report.istioVersion).toBe('1.30');
    const y = meshwasm(['analyze', '-', '-o', 'yaml'], readFileSync(join(dir, 'authz.yaml'), 'utf8'));
    expect(y.stdout).toContain('code: MW0307');
  });

  it('--failure-threshold decides the exit code', async () => {
    const p = await pushModule(modules.good(), `${reg.host}/filters/good:latest`);
    const f = tempFile('latest.yaml', wasmPlugin('latest', { url: `oci://${reg.host}/filters/good:latest` }));
    expect(meshwasm(['analyze', f]).status).toBe(0); // a Warning (MW0204) and Info only
    expect(meshwasm(['analyze', f, '--failure-threshold', 'Warning']).status).toBe(9);
    expect(p.manifestDigest).toMatch(/^sha256:/);
  });

  it('bad input names the input and the next step', () => {
    const missing = meshwasm(['analyze', '/nonexistent/dir']);
    expect(missing.status).toBe(5);
    expect(missing.stderr).toContain('"/nonexistent/dir" does not exist');
    const badVersion = meshwasm(['analyze', dir, '--istio-version', 'latest']);
    expect(badVersion.status).toBe(3);
    expect(badVersion.stderr).toContain('--istio-version "latest"');
  });

  it('docs/analyze.md has one entry per catalogue code', () => {
    const doc = readFileSync(new URL('../../docs/analyze.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^### (MW\d{4})\b/gm)].map((m) => m[1]);
    expect(documented).toEqual(Object.keys(MESSAGES));
  });
});

describe('analyzeManifestText (the API attach calls on what it emits)', () => {
  it('checks emitted YAML without workload checks, and reports YAML that does not parse', async () => {
    const { analyzeManifestText } = await import('../../analyze/index.js');
    const path = tempFile('rejects.wasm', modules.rejectsConfig());
    const r = await analyzeManifestText(
      `apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: authz, namespace: apps}\nspec:\n  url: file://${path}\n  pluginConfig: {a: 1}\n`,
      'attach',
    );
    expect(r.findings.map((f) => f.code)).toEqual(['MW0307']);
    const broken = await analyzeManifestText('kind: [unclosed', 'attach');
    expect(broken.findings.map((f) => f.code)).toEqual(['MW0001']);
  });
});
