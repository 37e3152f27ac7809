// A trap three calls deep in an AssemblyScript filter built with the debug target: every wasm
// frame is mapped through the build's source map to file.ts:line:column, in the harness (metered
// or not), in `meshwasm run` (text and JSON) and in `meshwasm proxy`'s log, for a request's trap
// and for one in proxy_on_tick (the built CLI, a real scaffolded filter compiled by asc, real
// HTTP on 127.0.0.1).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import inspector from 'node:inspector';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import type { TrapFrame } from '../../host-sim/errors.js';
import { eventually } from '../control-plane/helpers.js';
import { startUpstream } from '../proxy/helpers/upstream.js';
import { meshwasm } from '../sdk/build-fixture.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const work = mkdtempSync(path.join(tmpdir(), 'meshwasm-trap-stack-'));
const project = path.join(work, 'f');
const module = path.join(project, 'build', 'debug.wasm');
const cleanups: (() => unknown)[] = [];
/** The three frames of the filter's own code, innermost first, as the source says they are. */
let expected: TrapFrame[];
/** The same for the trap in proxy_on_tick (configured with {"tick": "boom"}). */
let expectedTick: TrapFrame[];

// Two helpers below onRequestHeaders; the innermost one traps on a path segment "boom".
const HELPERS = `
function checkSegment(segment: string): void {
  if (segment == "boom") unreachable();
}

function checkPath(path: string): void {
  const parts = path.split("/");
  for (let i = 0; i < parts.length; i++) checkSegment(parts[i]);
}
`;

/** Where `needle` starts in index.ts, as "assembly/index.ts:line:column" (1-based). */
function at(lines: string[], needle: string): string {
  const line = lines.findIndex((l) => l.includes(needle));
  expect(line, needle).toBeGreaterThanOrEqual(0);
  return `assembly/index.ts:${line + 1}:${lines[line]!.indexOf(needle) + 1}`;
}

beforeAll(async () => {
  expect((await meshwasm('init', project, '--template', 'blank')).status).toBe(0);
  const index = path.join(project, 'assembly', 'index.ts');
  let source = readFileSync(index, 'utf8');
  source = source.replace(
    'class BlankFilter extends HttpContext {',
    `${HELPERS}\nclass BlankFilter extends HttpContext {`,
  );
  source = source.replace(
    '    this.path = path !== null ? path : "";\n',
    '    this.path = path !== null ? path : "";\n    checkPath(this.path);\n',
  );
  expect(source).toContain('checkPath(this.path);');
  // The root traps on its first tick when configured to: a trap outside any request.
  source = source.replace(
    '    this.config = cfg;\n',
    '    this.config = cfg;\n    if (json.getString("tick") == "boom") this.setTickPeriod(10);\n',
  );
  source = source.replace(
    '  createHttpContext(contextId: u32)',
    '  onTick(): void {\n    checkPath("/tick/boom");\n  }\n\n  createHttpContext(contextId: u32)',
  );
  expect(source).toContain('this.setTickPeriod(10)');
  expect(source).toContain('checkPath("/tick/boom")');
  writeFileSync(index, source);
  const build = await meshwasm('build', project, '--target', 'debug');
  expect(build.status, build.stderr).toBe(0);
  const lines = source.split('\n');
  expected = [
    { function: 'assembly/index/checkSegment', at: at(lines, 'unreachable()') },
    { function: 'assembly/index/checkPath', at: at(lines, 'checkSegment(parts[i])') },
    { function: 'assembly/index/BlankFilter#onRequestHeaders', at: at(lines, 'checkPath(this.path)') },
  ];
  expectedTick = [
    expected[0]!,
    expected[1]!,
    { function: 'assembly/index/BlankRoot#onTick', at: at(lines, 'checkPath("/tick/boom")') },
  ];
}, 180_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(work, { recursive: true, force: true });
});

const boom = { headers: { ':method': 'GET', ':path': '/a/boom/c', ':authority': 'example.com' } };

/** Every frame mapped; the filter's own three, innermost first, exactly where the source has them. */
function expectMapped(frames: TrapFrame[] | undefined): void {
  expect(frames?.length).toBeGreaterThanOrEqual(4);
  for (const f of frames!) expect(f.at, f.function).toMatch(/\.ts:\d+:\d+$/);
  expect(frames!.slice(0, 3)).toEqual(expected);
  // The SDK's exported callback is the outermost wasm frame, mapped into the SDK's own source.
  expect(frames!.at(-1)).toMatchObject({
    function: expect.stringContaining('proxy_on_request_headers'),
    at: expect.stringMatching(/sdk\/http_exports\.ts:\d+:\d+$/),
  });
}

describe('trap stacks of a debug build, every wasm frame mapped through its source map', () => {
  it('the harness reports them on the trap, run as shipped and metered as the proxy runs it', async () => {
    const config = JSON.parse(readFileSync(path.join(project, 'config.json'), 'utf8'));
    const plain = await createHarness({ module, config });
    const trap = (await plain.request(boom)).trap;
    expect(trap).toMatchObject({ callback: 'proxy_on_request_headers', message: 'unreachable' });
    expectMapped(trap!.frames);

    // Metered, the VM runs a rewritten module; its offsets are taken back to the built one.
    const metered = await createHarness({ module, config, limits: {} });
    expect((await metered.request(boom)).trap!.frames).toEqual(trap!.frames);

    // From bytes alone the map cannot be found (its URL is relative to the file): names only.
    const bytes = await createHarness({ module: new Uint8Array(readFileSync(module)), config });
    const unmapped = (await bytes.request(boom)).trap!.frames!;
    expect(unmapped.map((f) => f.function)).toEqual(trap!.frames!.map((f) => f.function));
    expect(unmapped.every((f) => f.at === undefined)).toBe(true);
  });

  it('meshwasm run prints them under the TRAP line and puts them in -o json', async () => {
    const scenario = path.join(work, 'boom.yaml');
    writeFileSync(scenario, `requests:\n  - name: boom\n    request: { headers: { ":path": /a/boom/c } }\n`);
    const config = `@${path.join(project, 'config.json')}`;
    const text = await meshwasm('run', module, '-c', config, '-s', scenario);
    expect(text.status).toBe(9);
    const stack = expected.map((f) => `    at ${f.function} (${f.at})`).join('\n');
    expect(text.stdout).toContain(
      `TRAP in proxy_on_request_headers (assembly/index/checkSegment): unreachable -> fail-closed\n${stack}\n`,
    );
    const json = await meshwasm('run', module, '-c', config, '-s', scenario, '-o', 'json');
    expect(json.status).toBe(9);
    expectMapped(JSON.parse(json.stdout).requests[0].trap.frames);
  });

  it("meshwasm proxy logs them with the VM's failure, on the event and in its text", async () => {
    const up = await startUpstream();
    cleanups.push(() => up.close());
    const child = spawn(
      process.execPath,
      [bin, 'proxy', '--upstream', up.url, '--listen', '127.0.0.1:0', '--module', module, '-c', '{}', '-o', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const events: Record<string, any>[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => events.push(JSON.parse(l)));
    const listening = await eventually(() => events.find((e) => e.event === 'listening'), 'listening');
    expect((await fetch(new URL('/a/boom/c', listening.url))).status).toBe(503);
    const failed = await eventually(() => events.find((e) => e.event === 'vm.failed'), 'vm.failed');
    const lines = expected.map((f) => `at ${f.function} (${f.at})`);
    expect(failed.stack.slice(0, 3)).toEqual(lines);
    expect(failed.stack.every((l: string) => /\.ts:\d+:\d+\)$/.test(l))).toBe(true);
    expect(failed.msg ?? failed.message).toContain(`\n    ${lines[0]}\n    ${lines[1]}\n    ${lines[2]}`);
    const request = events.find((e) => e.event === 'request' && e.trap);
    expect(request!.trap.stack).toEqual(failed.stack);
  });

  it('meshwasm proxy logs a trap in proxy_on_tick, outside any request, the same way (text and JSON)', async () => {
    const up = await startUpstream();
    cleanups.push(() => up.close());
    const config = '{"tick": "boom"}';
    const lines = expectedTick.map((f) => `at ${f.function} (${f.at})`);
    const json = spawn(
      process.execPath,
      [bin, 'proxy', '--upstream', up.url, '--listen', '127.0.0.1:0', '--module', module, '-c', config, '-o', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => json.exitCode === null && json.kill('SIGKILL'));
    const events: Record<string, any>[] = [];
    createInterface({ input: json.stdout }).on('line', (l) => events.push(JSON.parse(l)));
    const failed = await eventually(() => events.find((e) => e.event === 'vm.failed'), 'vm.failed');
    expect(failed).toMatchObject({ filter: expect.any(String), callback: 'proxy_on_tick', policy: 'FAIL_CLOSE' });
    expect(failed.stack.slice(0, 3)).toEqual(lines);
    expect(failed.stack.every((l: string) => /\.ts:\d+:\d+\)$/.test(l))).toBe(true);
    expect(events.filter((e) => e.event === 'vm.failed')).toHaveLength(1);

    // The text form (no -o) prints the frames under the message on stderr.
    const text = spawn(
      process.execPath,
      [bin, 'proxy', '--upstream', up.url, '--listen', '127.0.0.1:0', '--module', module, '-c', config],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => text.exitCode === null && text.kill('SIGKILL'));
    let stderr = '';
    text.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await eventually(() => stderr.includes('trapped in proxy_on_tick') && stderr.includes(lines[2]!), 'tick trap text');
    expect(stderr).toContain(`\n    ${lines[0]}\n    ${lines[1]}\n    ${lines[2]}`);
  });

  it("the harness under node --inspect hands the debugger the filter's .ts sources (inspector protocol, in process)", async () => {
    inspector.open(0, '127.0.0.1', false);
    const session = new inspector.Session();
    session.connect();
    try {
      const parsed: { url: string; sourceMapURL?: string }[] = [];
      session.on('Debugger.scriptParsed', (m) => parsed.push(m.params));
      await new Promise<void>((resolve, reject) =>
        session.post('Debugger.enable', (err) => (err ? reject(err) : resolve())),
      );
      const h = await createHarness({ module, config: {} });
      expect((await h.request(boom)).trap!.frames!.slice(0, 3)).toEqual(
        // The map now names absolute file:// sources; the frames still land on the same lines.
        expected.map((f) => ({ ...f, at: `${pathToFileURL(project).href}/${f.at}` })),
      );
      const script = parsed.find((p) => p.url.startsWith('wasm://') && p.sourceMapURL?.startsWith('file://'));
      expect(script, 'a wasm script with a file:// source map').toBeDefined();
      const map = JSON.parse(readFileSync(fileURLToPath(script!.sourceMapURL!), 'utf8')) as { sources: string[] };
      expect(map.sources).toContain(pathToFileURL(path.join(project, 'assembly', 'index.ts')).href);
    } finally {
      session.disconnect();
      inspector.close();
    }
  });
});
