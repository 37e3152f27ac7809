import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { meshwasm } from '../sdk/build-fixture.js';
import { CdpClient } from './cdp-client.js';
import { decodeMappings } from './source-map.js';

const bin = fileURLToPath(new URL('../../bin/meshwasm.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'mw-inspect-'));
let child: ChildProcess | undefined;
let client: CdpClient | undefined;
afterAll(async () => {
  client?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe("meshwasm run --inspect-brk: a breakpoint on a line of the template's .ts source, driven over the inspector protocol as DevTools does", () => {
  it('pauses with the module loaded, maps it to assembly/index.ts, and stops at the chosen source line', async () => {
    const project = path.join(work, 'p');
    expect((await meshwasm('init', project, '--template', 'blank')).status).toBe(0);
    const build = await meshwasm('build', project, '--target', 'debug');
    expect(build.status, build.stderr).toBe(0);
    const source = readFileSync(path.join(project, 'assembly', 'index.ts'), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes('const path = requestHeaders.get(":path");')) + 1;
    expect(line).toBeGreaterThan(0);

    child = spawn(
      process.execPath,
      [
        bin,
        'run',
        path.join(project, 'build', 'debug.wasm'),
        '-c',
        '@' + path.join(project, 'config.json'),
        '--inspect-brk',
        '127.0.0.1:0',
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const wsUrl = await new Promise<string>((resolve) => {
      let err = '';
      child!.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /debugger listening on (ws:\/\/\S+?);/.exec(err);
        if (m) resolve(m[1]!);
      });
    });
    client = await CdpClient.connect(wsUrl);
    await client.send('Debugger.enable');
    await client.send('Runtime.runIfWaitingForDebugger');

    // The pause --inspect-brk promises comes after the module was compiled: its script is known,
    // with a source map DevTools can load (an absolute file:// URL, .ts sources on disk).
    await client.next('Debugger.paused');
    // Other wasm may be compiled in the process first (Node's own, or binaryen's); the filter's is
    // the one with a source map (if it had none, this waits until the test times out).
    const script = await client.next(
      'Debugger.scriptParsed',
      (p) => String(p.url).startsWith('wasm://') && String(p.sourceMapURL ?? '') !== '',
    );
    expect(script.sourceMapURL).toMatch(/^file:\/\//);
    const map = JSON.parse(readFileSync(fileURLToPath(script.sourceMapURL), 'utf8')) as {
      sources: string[];
      mappings: string;
    };
    const indexTs = map.sources.find((s) => s.endsWith('/assembly/index.ts'))!;
    expect(fileURLToPath(indexTs)).toBe(path.join(project, 'assembly', 'index.ts'));
    const mappings = decodeMappings(map);
    const offsets = mappings.filter((m) => m.source === indexTs && m.line === line).map((m) => m.offset);
    expect(offsets.length).toBeGreaterThan(0);

    // As DevTools does for a breakpoint in a source-mapped wasm file: by URL and code offset, so
    // it also holds for the module the run compiles next from the same bytes.
    const bp = await client.send('Debugger.setBreakpointByUrl', {
      url: script.url,
      lineNumber: 0,
      columnNumber: Math.min(...offsets),
    });
    expect(bp.breakpointId).toBeTruthy();
    await client.send('Debugger.resume');

    const hit = await client.next('Debugger.paused');
    const top = hit.callFrames[0].location as { columnNumber: number };
    const at = mappings.filter((m) => m.offset <= top.columnNumber).at(-1)!;
    expect(at.source).toBe(indexTs);
    expect(at.line).toBe(line);
    expect(hit.hitBreakpoints).toContain(bp.breakpointId);
    await client.send('Debugger.resume');
    // Node waits for an attached debugger to leave before it exits, as with DevTools.
    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    client.close();

    const code = await exited;
    expect(code).toBe(0);
    expect(JSON.parse(stdout).requests).toHaveLength(1);
  }, 240_000);
});
