import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshwasm } from '../sdk/build-fixture.js';

const bin = fileURLToPath(new URL('../../bin/meshwasm.js', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'mw-dev-'));
const project = path.join(work, 'hello');
const source = path.join(project, 'assembly', 'index.ts');

interface Cycle {
  cycle: number;
  changed: string[];
  ok: boolean;
  ms: number;
  error?: string;
  proxyVersion?: string;
}

/** A real upstream on 127.0.0.1 that answers with the request headers it saw. */
let upstream: http.Server;
let upstreamUrl = '';
let dev: ChildProcessWithoutNullStreams;
let proxyUrl = '';
const lines: unknown[] = [];
const waiters: (() => void)[] = [];
let stderr = '';

/** The next JSON line `meshwasm dev -o json` prints (each cycle prints exactly one). */
async function next<T>(): Promise<T> {
  while (lines.length === 0) await new Promise<void>((r) => waiters.push(r));
  return lines.shift() as T;
}

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'x-internal-debug': '1' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const init = await meshwasm('init', project, '--template', 'blank');
  expect(init.status, init.stderr).toBe(0);
  dev = spawn(process.execPath, [
    bin,
    'dev',
    project,
    '--upstream',
    upstreamUrl,
    '--listen',
    '127.0.0.1:0',
    '-o',
    'json',
  ]);
  dev.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: dev.stdout }).on('line', (l) => {
    lines.push(JSON.parse(l));
    for (const w of waiters.splice(0)) w();
  });
}, 60_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((r) => dev.once('exit', r));
    dev.kill('SIGTERM');
    await exited;
  }
  await new Promise((r) => upstream?.close(r));
  rmSync(work, { recursive: true, force: true });
});

describe('meshwasm dev: rebuild on change, hot-swap into its proxy, keep the last good module on a compile error (real proxy and upstream on 127.0.0.1)', () => {
  it('builds, starts the proxy, and serves the filter', async () => {
    const first = await next<Cycle>();
    expect(first, stderr).toMatchObject({ cycle: 1, changed: [], ok: true, proxyVersion: 'local-1' });
    expect(first.ms).toBeGreaterThan(0);
    proxyUrl = (await next<{ proxy: string }>()).proxy;
    const r = await get(`${proxyUrl}/orders/7`);
    expect(JSON.parse(r.body)['x-hello']).toBe('world');
    expect(JSON.parse(r.body)['x-internal-debug']).toBeUndefined();
    expect(r.headers['x-filter']).toBe('blank; path=/orders/7');
  }, 240_000);

  it('an edit of the source is rebuilt and swapped in: the next request sees the new code', async () => {
    writeFileSync(source, readFileSync(source, 'utf8').replace('"blank; path="', '"edited; path="'));
    const c = await next<Cycle>();
    expect(c, stderr).toMatchObject({ cycle: 2, changed: ['assembly/index.ts'], ok: true, proxyVersion: 'dev-2' });
    expect((await get(`${proxyUrl}/a`)).headers['x-filter']).toBe('edited; path=/a');
  }, 240_000);

  it('a compile error is reported with its line, and the proxy keeps serving the last good module', async () => {
    writeFileSync(source, `${readFileSync(source, 'utf8')}\nconst broken: i32 = "not a number";\n`);
    const c = await next<Cycle>();
    expect(c).toMatchObject({ cycle: 3, ok: false, proxyVersion: 'dev-2' });
    expect(c.error).toMatch(/assembly\/index\.ts/);
    expect((await get(`${proxyUrl}/b`)).headers['x-filter']).toBe('edited; path=/b');
    expect(readFileSync(path.join(project, 'build', 'release.wasm')).byteLength).toBeGreaterThan(0);
  }, 240_000);

  it('a configuration change is swapped in too', async () => {
    writeFileSync(source, readFileSync(source, 'utf8').replace('\nconst broken: i32 = "not a number";\n', ''));
    const fixed = await next<Cycle>();
    expect(fixed).toMatchObject({ cycle: 4, ok: true, proxyVersion: 'dev-4' });
    writeFileSync(path.join(project, 'config.json'), JSON.stringify({ requestHeaders: { 'x-hello': 'there' } }));
    const c = await next<Cycle>();
    expect(c).toMatchObject({ cycle: 5, changed: ['config.json'], ok: true, proxyVersion: 'dev-5' });
    expect(JSON.parse((await get(`${proxyUrl}/c`)).body)['x-hello']).toBe('there');
  }, 240_000);
});
