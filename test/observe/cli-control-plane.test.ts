// `meshwasm control-plane` as an operator runs it (the built CLI, real sockets on 127.0.0.1):
// its JSON event log on stderr while a real proxy connects over ECDS, and clean start-up errors.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { eventually, sha256, startModuleServer, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream } from '../proxy/helpers/upstream.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;

describe('meshwasm control-plane (CLI)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('logs, as JSON lines, the proxy connecting with its labels, the manifest, the fetch, push, ACK and shutdown', async () => {
    const tagger = watModule('tagger');
    const modules = await startModuleServer({ '/tagger.wasm': tagger });
    cleanups.push(() => modules.close());
    const dir = tempDir('cli-cp');
    writeManifest(
      dir,
      'tagger.yaml',
      wasmPlugin('tagger', { url: `${modules.url}/tagger.wasm`, sha256: sha256(tagger), pluginName: 'tagger_root' }),
    );
    const child = spawn(
      process.execPath,
      [
        bin,
        'control-plane',
        '--config-dir',
        dir,
        '--cache-dir',
        join(tempDir('cli-cp-cache'), 'c'),
        '--xds-listen',
        '127.0.0.1:0',
        '--http-listen',
        '127.0.0.1:0',
        '--log-format',
        'json',
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const logs: Record<string, any>[] = [];
    createInterface({ input: child.stderr }).on('line', (l) => logs.push(JSON.parse(l)));
    let stdout = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    const ready = await eventually(() => {
      try {
        return JSON.parse(stdout) as { xds: string; http: string };
      } catch {
        return undefined;
      }
    }, 'the ready document on stdout');

    const up = await startUpstream();
    cleanups.push(() => up.close());
    const proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    cleanups.push(() => proxy.close());
    const stop = await followXds(proxy, {
      address: ready.xds,
      nodeId: 'web-7',
      labels: { app: 'web', version: 'v1' },
      namespace: 'default',
    });
    const ack = await eventually(() => logs.find((l) => l.event === 'ack'), 'the ACK in the log');
    expect(ack).toMatchObject({ level: 'info', component: 'control-plane', node: 'web-7' });
    expect(logs.find((l) => l.event === 'proxy.connected')).toMatchObject({
      node: 'web-7',
      namespace: 'default',
      labels: { app: 'web', version: 'v1' },
    });
    expect(logs.find((l) => l.event === 'manifest.added')).toMatchObject({ extension: 'WasmPlugin/default/tagger' });
    const fetched = logs.find((l) => l.event === 'fetch.succeeded');
    expect(fetched).toMatchObject({ digest: sha256(tagger), cacheHit: false });
    expect(typeof fetched!.durationMs).toBe('number');
    expect(logs.find((l) => l.event === 'push')).toMatchObject({
      node: 'web-7',
      resources: [`default.tagger@sha256:${sha256(tagger).slice(0, 12)}`],
    });
    for (const l of logs) expect(typeof l.time).toBe('string');

    stop();
    await eventually(() => logs.find((l) => l.event === 'proxy.disconnected'), 'the disconnect in the log');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.find((l) => l.event === 'shutdown')).toMatchObject({ signal: 'SIGTERM' });
  }, 60_000);

  it('port in use: one line, exit 3, and no cache or config directory created', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as { port: number }).port;
    const work = tempDir('cli-cp-port');
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'control-plane',
        '--create',
        '--config-dir',
        join(work, 'extensions'),
        '--cache-dir',
        join(work, 'cache'),
        '--xds-listen',
        '127.0.0.1:0',
        '--http-listen',
        `127.0.0.1:${port}`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      `meshwasm: control-plane: --http-listen 127.0.0.1:${port} is in use; stop what listens there or pass another --http-listen`,
    ]);
    expect(existsSync(join(work, 'extensions'))).toBe(false);
    expect(existsSync(join(work, 'cache'))).toBe(false);
  });

  it('a --config-dir that does not exist is an error naming --create; with --create it is made', async () => {
    const work = tempDir('cli-cp-dir');
    const args = ['control-plane', '--cache-dir', join(work, 'cache'), '--xds-listen', '127.0.0.1:0'];
    const r = spawnSync(
      process.execPath,
      [bin, ...args, '--http-listen', '127.0.0.1:0', '--config-dir', join(work, 'typo')],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(5);
    expect(r.stderr).toContain(`--config-dir ${join(work, 'typo')} does not exist`);
    expect(r.stderr).toContain('--create');
    expect(existsSync(join(work, 'typo'))).toBe(false);
    expect(existsSync(join(work, 'cache'))).toBe(false);

    const child = spawn(
      process.execPath,
      [bin, ...args, '--http-listen', '127.0.0.1:0', '--config-dir', join(work, 'made'), '--create', '-o', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    await eventually(() => out.includes('"xds"'), 'the control plane to be ready');
    expect(existsSync(join(work, 'made'))).toBe(true);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }, 60_000);
});
