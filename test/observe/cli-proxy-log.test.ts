// `meshwasm proxy -o json`: a trap that fails a filter's VM is an event on the JSON stream, with
// the filter, the callback and the policy (the built CLI, a real wasm filter, real HTTP).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, tempDir } from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream } from '../proxy/helpers/upstream.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;

describe('meshwasm proxy event log', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('logs vm.failed when a filter traps, then shutdown', async () => {
    const up = await startUpstream();
    cleanups.push(() => up.close());
    const wasm = join(tempDir('proxy-log'), 'tagger.wasm');
    writeFileSync(wasm, watModule('tagger'));
    const child = spawn(
      process.execPath,
      [
        bin,
        'proxy',
        '--upstream',
        up.url,
        '--listen',
        '127.0.0.1:0',
        '--module',
        wasm,
        '-c',
        'v1',
        '--fail-strategy',
        'FAIL_RELOAD',
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const events: Record<string, any>[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => events.push(JSON.parse(l)));
    const listening = await eventually(() => events.find((e) => e.event === 'listening'), 'listening');
    expect((await fetch(listening.url, { headers: { 'x-trap': '1' } })).status).toBe(503);
    const failed = await eventually(() => events.find((e) => e.event === 'vm.failed'), 'vm.failed');
    expect(failed).toMatchObject({ level: 'warn', filter: 'tagger', callback: 'proxy_on_request_headers' });
    // FAIL_RELOAD: the next request runs on a new VM.
    expect((await fetch(listening.url)).status).toBe(200);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    expect(events.find((e) => e.event === 'shutdown')).toMatchObject({ signal: 'SIGTERM' });
  }, 60_000);
});
