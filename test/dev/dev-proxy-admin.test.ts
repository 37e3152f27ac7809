// `meshwasm dev --proxy-admin URL --test`: each good build is swapped into a `meshwasm proxy` the
// test started (not dev), through its admin listener (--admin --hot-swap), after the project's own
// `npm test` passed; a failing test or a compile error keeps the last good module serving. The
// built CLI, a scaffolded filter compiled by asc, real HTTP on 127.0.0.1, a real npm run.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../control-plane/helpers.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { meshwasm } from '../sdk/build-fixture.js';

const bin = fileURLToPath(new URL('../../bin/meshwasm.js', import.meta.url));
const harness = pathToFileURL(fileURLToPath(new URL('../../dist/host-sim/harness/index.js', import.meta.url))).href;
const work = mkdtempSync(path.join(tmpdir(), 'meshwasm-dev-admin-'));
const project = path.join(work, 'tagger');
const source = path.join(project, 'assembly', 'index.ts');

interface Cycle {
  cycle: number;
  ok: boolean;
  ms: number;
  error?: string;
  proxyVersion?: string;
  test?: { script: string; ok: boolean; ms: number };
}

let up: TestUpstream;
let proxy: ChildProcessWithoutNullStreams;
let dev: ChildProcessWithoutNullStreams;
let proxyUrl = '';
let adminUrl = '';
const cycles: Cycle[] = [];
const waiters: (() => void)[] = [];
let devErr = '';

async function nextCycle(): Promise<Cycle> {
  while (cycles.length === 0) await new Promise<void>((r) => waiters.push(r));
  return cycles.shift()!;
}

const tag = async (p: string) => (await fetch(new URL(p, proxyUrl))).headers.get('x-filter');

function edit(from: string, to: string): void {
  const text = readFileSync(source, 'utf8');
  expect(text).toContain(from);
  writeFileSync(source, text.replace(from, to));
}

beforeAll(async () => {
  up = await startUpstream();
  expect((await meshwasm('init', project, '--template', 'blank')).status).toBe(0);
  // The project's own test, as `npm test` runs it: the built module through the harness.
  writeFileSync(
    path.join(project, 'check.mjs'),
    `import { createHarness } from ${JSON.stringify(harness)};
const h = await createHarness({ module: 'build/release.wasm', config: {} });
const r = await h.request({ headers: { ':method': 'GET', ':path': '/t', ':authority': 'x' } });
const tag = r.downstream.headers.find(([k]) => k === 'x-filter')?.[1];
if (!tag || !tag.endsWith('; path=/t')) { console.error('x-filter was ' + tag + ', expected "...; path=/t"'); process.exit(1); }
console.log('ok: ' + tag);
`,
  );
  const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8'));
  pkg.scripts.test = 'node check.mjs';
  writeFileSync(path.join(project, 'package.json'), JSON.stringify(pkg, null, 2));
  const first = await meshwasm('build', project);
  expect(first.status, first.stderr).toBe(0);

  proxy = spawn(process.execPath, [
    bin,
    'proxy',
    '--upstream',
    up.url,
    '--listen',
    '127.0.0.1:0',
    '--module',
    path.join(project, 'build', 'release.wasm'),
    '-c',
    '{}',
    '--admin',
    '0',
    '--hot-swap',
    '-o',
    'json',
  ]);
  const events: Record<string, any>[] = [];
  createInterface({ input: proxy.stdout }).on('line', (l) => events.push(JSON.parse(l)));
  const listening = await eventually(() => events.find((e) => e.event === 'listening'), 'listening');
  proxyUrl = listening.url;
  adminUrl = listening.admin;
  expect(await tag('/before')).toBe('blank; path=/before');

  dev = spawn(process.execPath, [bin, 'dev', project, '--proxy-admin', adminUrl, '--test', '-o', 'json']);
  dev.stderr.on('data', (d: Buffer) => {
    devErr += d.toString();
  });
  createInterface({ input: dev.stdout }).on('line', (l) => {
    cycles.push(JSON.parse(l));
    for (const w of waiters.splice(0)) w();
  });
}, 120_000);

afterAll(async () => {
  for (const child of [dev, proxy]) {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  await up?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('meshwasm dev --proxy-admin --test: swaps into a proxy it did not start, after the project tests pass', () => {
  it('the first build passes npm test and is swapped into the running proxy by its admin listener', async () => {
    const c = await nextCycle();
    expect(c, devErr).toMatchObject({ cycle: 1, ok: true, proxyVersion: 'swap-1', test: { script: 'test', ok: true } });
    expect(await tag('/one')).toBe('blank; path=/one');
  });

  it('an edit that keeps the tests green is rebuilt, tested and swapped: the next request sees it', async () => {
    edit('"blank; path="', '"edited; path="');
    const c = await nextCycle();
    expect(c, devErr).toMatchObject({ cycle: 2, ok: true, proxyVersion: 'swap-2', test: { ok: true } });
    expect(await tag('/two')).toBe('edited; path=/two');
  });

  it('an edit that fails the tests is not swapped in: the proxy keeps serving the last good module', async () => {
    edit('"edited; path="', '"broken; where="');
    const c = await nextCycle();
    expect(c).toMatchObject({ cycle: 3, ok: false, proxyVersion: 'swap-2', test: { ok: false } });
    expect(c.error).toContain('tests failed ("npm run test"), not swapped in');
    expect(c.error).toContain('x-filter was broken; where=/t');
    expect(await tag('/three')).toBe('edited; path=/three');
  });

  it('a compile error is reported before any test runs, and the proxy still serves the last good module', async () => {
    edit('"broken; where="', 'nonexistentHelper() + "; path=" +');
    const c = await nextCycle();
    expect(c).toMatchObject({ cycle: 4, ok: false, proxyVersion: 'swap-2' });
    expect(c.test).toBeUndefined();
    expect(c.error).toMatch(/assembly\/index\.ts/);
    expect(await tag('/four')).toBe('edited; path=/four');
  });

  it('the admin listener refuses a swap for a filter the chain does not have, naming the ones it has', async () => {
    const res = await fetch(new URL('/filters/nope/module', adminUrl), {
      method: 'PUT',
      headers: { 'content-type': 'application/wasm' },
      body: new Uint8Array(readFileSync(path.join(project, 'build', 'release.wasm'))),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain(
      'no wasm filter "nope" in the chain; it has "tagger"',
    );
    expect(await tag('/five')).toBe('edited; path=/five');
  });
});
