import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The built CLI (npm test builds dist/ first), as a script or a user meets it.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const meshwasm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('one spelling per concept across commands', () => {
  it('-V and --version print the version; the old -v still does, hidden from the help', () => {
    for (const flag of ['-V', '--version', '-v']) {
      const r = meshwasm(flag);
      expect(r.status, flag).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
    const help = meshwasm('--help').stdout;
    expect(help).toContain('-V, --version');
    expect(help).not.toContain('-v, --version');
  });

  it('help <unknown> says the command is unknown and lists the real ones (exit 2)', () => {
    const r = meshwasm('help', 'frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('run, init, build');
    expect(meshwasm('help', 'run').status).toBe(0);
  });

  it('-o text is the human format of every reporting command; bench\'s "table" and attach\'s "yaml" are old names, with a note', () => {
    const commands = (meshwasm('--help').stdout.split('Commands:')[1] ?? '')
      .split('\n')
      .map((l) => /^ {2}([a-z-]+)/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined && c !== 'help');
    expect(commands).toContain('bench');
    for (const command of commands) {
      // Wrapped help may break a line anywhere: compare with whitespace collapsed.
      const help = meshwasm('help', command).stdout.replace(/\s+/g, ' ');
      if (!help.includes('--output')) continue;
      expect(help, command).toMatch(/choices: "text", "json"/);
      expect(help, command).toMatch(/default: "text"/);
    }
    // The alias is taken (the run then fails for its own reason, a missing module: 5, not a usage error).
    const old = meshwasm('bench', '/no/such/module.wasm', '-o', 'table');
    expect(old.status).toBe(5);
    expect(old.stderr).toContain('-o table is now -o text; "table" is accepted until 0.3');
    expect(meshwasm('bench', '/no/such/module.wasm', '-o', 'yaml').status).toBe(2);
  });

  it("every help is wrapped to the terminal width (80 columns when piped), analyze's too", () => {
    for (const command of ['analyze', 'run', 'attach', 'dev']) {
      const widest = Math.max(
        ...meshwasm('help', command)
          .stdout.split('\n')
          .map((l) => l.length),
      );
      expect(widest, command).toBeLessThanOrEqual(80);
    }
  });

  it('-c is --config wherever a command takes a plugin configuration', () => {
    for (const command of ['run', 'bench', 'proxy', 'attach', 'dev']) {
      expect(meshwasm('help', command).stdout, command).toMatch(/-c, --config <json\|@file>/);
    }
  });
});

describe('-o json failures are JSON on stdout: {"error": {"message", "exitCode", ...}}', () => {
  it('a failing command', () => {
    const r = meshwasm('run', '/no/such/module.wasm', '-o', 'json');
    expect(r.status).toBe(5);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { message: expect.stringContaining('/no/such/module.wasm'), exitCode: 5 },
    });
    expect(r.stderr).toContain('/no/such/module.wasm');
  });

  it('a usage error, in any spelling of -o json', () => {
    for (const o of [['-o', 'json'], ['--output', 'json'], ['--output=json']]) {
      const r = meshwasm('run', 'x.wasm', '--no-such-flag', ...o);
      expect(r.status).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({ error: { message: "unknown option '--no-such-flag'", exitCode: 2 } });
    }
  });

  it('a command that printed its JSON report before failing (analyze findings, exit 9) prints no second document', () => {
    // A WasmPlugin whose module cannot be fetched (nothing listens on port 1): Error findings.
    const manifest = [
      'apiVersion: extensions.istio.io/v1alpha1',
      'kind: WasmPlugin',
      'metadata: { name: x, namespace: default }',
      'spec: { url: "oci://127.0.0.1:1/nope:latest" }',
    ].join('\n');
    const r = spawnSync(process.execPath, [bin, 'analyze', '-', '-o', 'json'], { encoding: 'utf8', input: manifest });
    expect(r.status).toBe(9);
    const report = JSON.parse(r.stdout) as { findings: unknown[]; error?: unknown };
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.error).toBeUndefined();
  });

  it('text output keeps failures on stderr only', () => {
    const r = meshwasm('run', '/no/such/module.wasm');
    expect(r.status).toBe(5);
    expect(r.stdout).toBe('');
  });
});
