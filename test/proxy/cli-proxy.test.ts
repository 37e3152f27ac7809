// `meshwasm proxy` as a user runs it: the built CLI (npm test builds dist/ first) as a child
// process, a real upstream and real requests on 127.0.0.1, then SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { watModule } from './helpers/modules.js';
import { startUpstream, type TestUpstream } from './helpers/upstream.js';
import { DirectorySource, HttpModuleSource, Resolver, startControlPlane } from '../../control-plane/index.js';
import { sha256, startModuleServer, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
let up: TestUpstream | undefined;
afterEach(async () => {
  await up?.close();
});

/** Spawns the CLI and follows its JSON events. */
function spawnProxy(args: string[]) {
  const child = spawn(process.execPath, [bin, 'proxy', '-o', 'json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, any>[] = [];
  const waiters: [(e: Record<string, any>) => boolean, (e: Record<string, any>) => void][] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const e = JSON.parse(line);
    events.push(e);
    for (const w of waiters.splice(0))
      if (w[0](e)) w[1](e);
      else waiters.push(w);
  });
  const next = (event: string) =>
    new Promise<Record<string, any>>((resolve) => {
      const hit = events.find((e) => e.event === event);
      if (hit) resolve(hit);
      else waiters.push([(e) => e.event === event, resolve]);
    });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, events, next, exited };
}

describe('meshwasm proxy (CLI)', () => {
  it('--xds: takes its chain from the control plane (node labels matched by the selector)', async () => {
    up = await startUpstream();
    const modules = await startModuleServer({ '/tagger.wasm': watModule('tagger') });
    const dir = tempDir('cli-xds');
    writeManifest(
      dir,
      't.yaml',
      wasmPlugin('tagger', {
        url: `${modules.url}/tagger.wasm`,
        sha256: sha256(modules.files['/tagger.wasm']!),
        pluginConfig: { tag: 'xds' },
        selector: { matchLabels: { app: 'web' } },
      }),
    );
    const cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30 })],
      resolver: new Resolver([new HttpModuleSource()], { dir: tempDir('cli-xds-cache') }),
    });
    const p = spawnProxy([
      '--upstream',
      up.url,
      '--listen',
      '127.0.0.1:0',
      '--xds',
      cp.xdsAddress,
      '--node-id',
      'web-9',
      '--labels',
      'app=web',
    ]);
    try {
      const listening = await p.next('listening');
      const chain = await p.next('chain');
      expect(chain.filters.map((f: { name: string }) => f.name)).toEqual(['default.tagger']);
      await fetch(`${listening.url}/via-xds`);
      expect(up.seen[0]!.headers['x-filter-version']).toBe('{"tag":"xds"}');
    } finally {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      await cp.close();
      await modules.close();
    }
  });

  it('serves local modules in order, prints JSON events, and drains on SIGTERM', async () => {
    up = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'mw-proxy-cli-'));
    writeFileSync(join(dir, 'tagger.wasm'), watModule('tagger'));
    const child = spawn(
      process.execPath,
      [
        bin,
        'proxy',
        '--upstream',
        up.url,
        '--listen',
        '127.0.0.1:0',
        '-o',
        'json',
        '--module',
        join(dir, 'tagger.wasm'),
        '--config',
        'cli-v1',
        '--name',
        'first',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const events: Record<string, any>[] = [];
    const waiters: [(e: Record<string, any>) => boolean, (e: Record<string, any>) => void][] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line);
      events.push(e);
      for (const w of waiters.splice(0))
        if (w[0](e)) w[1](e);
        else waiters.push(w);
    });
    const next = (event: string) =>
      new Promise<Record<string, any>>((resolve) => {
        const hit = events.find((e) => e.event === event);
        if (hit) resolve(hit);
        else waiters.push([(e) => e.event === event, resolve]);
      });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

    const listening = await next('listening');
    expect(listening.chain.filters.map((f: { name: string }) => f.name)).toEqual(['first']);
    const res = await fetch(`${listening.url}/cli`);
    expect(res.headers.get('x-served-by')).toBe('cli-v1');
    const request = await next('request');
    expect(request).toMatchObject({ method: 'GET', path: '/cli', status: 200, chain: 'local-1' });
    expect(up.seen[0]!.headers['x-filter-version']).toBe('cli-v1');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(events.some((e) => e.event === 'shutdown' && e.signal === 'SIGTERM')).toBe(true);
    expect(stderr).toBe('');
  });

  it('exits 2 (usage) with the next step when --config comes before any --module', async () => {
    const child = spawn(process.execPath, [bin, 'proxy', '--upstream', 'http://127.0.0.1:1', '--config', '{}'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(stderr).toContain('write --module <file.wasm> first');
  });
});
