// Issue 14 item 2: a filter that loops forever in any callback is stopped at a deadline (the
// module is metered at load, host-sim/module/meter.ts): the stream gets its failure policy's
// answer, the VM is replaced as FAIL_RELOAD would, start-up loops refuse the filter, and a real
// `meshwasm proxy` process still exits on SIGTERM. Real client -> proxy on 127.0.0.1 -> real
// upstream; the looping module is hand-written WAT (test/fixtures/wat/loop-forever.wat).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALLBACK_DEADLINE_MS, DEFAULT_START_DEADLINE_MS } from '../../host-sim/index.js';
import { startProxy, type AccessLogEntry, type RunningProxy } from '../../proxy/index.js';
import { analyzeYaml, only, tempFile, wasmPlugin } from '../analyze/helpers/setup.js';
import { compileFixture } from '../fixtures/compile.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { until } from './helpers.js';

let module: Uint8Array;
let up: TestUpstream;
const running: RunningProxy[] = [];
/** Thirty extra headers make the module loop (mode 1 and 4); fetch's own headers stay well under. */
const LOOP = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x-pad-${i}`, '1']));

beforeAll(async () => {
  module = await compileFixture('wat/loop-forever.wat');
  up = await startUpstream();
});
afterAll(async () => {
  for (const p of running) await p.close();
  await up?.close();
});

async function proxyWith(
  config: string,
  failStrategy: 'FAIL_CLOSE' | 'FAIL_OPEN' = 'FAIL_CLOSE',
  log: AccessLogEntry[] = [],
  events: string[] = [],
): Promise<RunningProxy> {
  const p = await startProxy({
    upstream: up.url,
    clusters: { slow: up.url },
    filters: [{ kind: 'wasm', name: 'looper', module, configuration: config, failStrategy }],
    onAccessLog: (e) => log.push(e),
    onEvent: (m) => events.push(m),
  });
  running.push(p);
  return p;
}

describe('an execution deadline stops a filter that never returns', () => {
  it('has defaults no sane filter reaches: 1 s for start-up, 100 ms per callback', () => {
    expect(DEFAULT_START_DEADLINE_MS).toBe(1000);
    expect(DEFAULT_CALLBACK_DEADLINE_MS).toBe(100);
  });

  it('request headers: FAIL_CLOSE answers 503 to that request, then a fresh VM serves the next', async () => {
    const log: AccessLogEntry[] = [];
    const p = await proxyWith('x', 'FAIL_CLOSE', log);
    const looped = await fetch(`${p.url}/loop`, { headers: LOOP });
    expect(looped.status).toBe(503);
    expect(log[0]!.trap?.message).toBe(
      'proxy_on_request_headers ran past its execution deadline of 100 ms and was stopped',
    );
    const next = await fetch(`${p.url}/after`);
    expect(next.status).toBe(200);
    expect(p.chain().filters[0]).toMatchObject({ reloads: 1, limitFailures: 1 });
  });

  it('request headers with FAIL_OPEN: the request goes on without the filter', async () => {
    const p = await proxyWith('x', 'FAIL_OPEN');
    const looped = await fetch(`${p.url}/loop-open`, { headers: LOOP });
    expect(looped.status).toBe(200);
    expect((await looped.json()).path).toBe('/loop-open');
  });

  it('response headers: the client gets 503 instead of a response that never comes', async () => {
    const p = await proxyWith('xxxx');
    expect((await fetch(`${p.url}/loop-response`, { headers: LOOP })).status).toBe(503);
    expect((await fetch(`${p.url}/fine`)).status).toBe(200);
  });

  it('a callout response: the paused stream gets its policy answer instead of hanging', async () => {
    const p = await proxyWith('xxx');
    expect((await fetch(`${p.url}/callout`)).status).toBe(503);
  });

  it('on_tick: the loop is stopped, reported and counted, and requests are still served (FAIL_OPEN)', async () => {
    const events: string[] = [];
    // Every fresh VM loops again on its first tick, so only FAIL_OPEN makes the answer certain.
    const p = await proxyWith('xx', 'FAIL_OPEN', [], events);
    await until(() => p.stats.tickTraps > 0, 'the on_tick deadline');
    expect(events.some((e) => /proxy_on_tick ran past its execution deadline of 100 ms/.test(e))).toBe(true);
    expect((await fetch(`${p.url}/ticking`)).status).toBe(200);
  });

  it.each([
    ['x', 'proxy_on_configure'],
    ['xx', 'proxy_on_vm_start'],
  ])(
    'a start-up loop (vm config %j) refuses the filter, naming %s and the 1 s deadline',
    async (vmConfig, callback) => {
      // The VM configuration reaches proxy_on_vm_start; the proxy takes it from ECDS, here via the host.
      const { Host, loadMeter } = await import('../../host-sim/index.js');
      await loadMeter();
      const host = new Host({ vmLimits: {} });
      const vm = host.loadVm(module, { vmConfig: Buffer.from(vmConfig) });
      expect(() => host.startPlugin(vm, { name: 'looper' })).toThrow(
        `plugin "looper" trapped in ${callback} (in forever): ${callback} ran past its execution deadline of 1000 ms and was stopped`,
      );
    },
  );

  it.each([
    [{ '': 1 }, 'proxy_on_configure ran past its execution deadline of 1000 ms while the plugin started'],
    [
      { a: 1 },
      'proxy_on_request_headers ran past its execution deadline of 100 ms and was stopped on a probe GET request',
    ],
  ])('analyze reports MW0315 naming the callback instead of hanging (pluginConfig %j)', async (pluginConfig, text) => {
    const file = tempFile('looper.wasm', module);
    const r = await analyzeYaml([wasmPlugin('looper', { url: `file://${file}`, pluginConfig })]);
    const f = only(r, 'MW0315');
    expect(f.message).toContain(text);
    expect(f.severity).toBe('Error');
  });

  it('meshwasm run reports the stopped callback as a trap instead of hanging', async () => {
    const { runScenario } = await import('../../host-sim/scenario/run-scenario.js');
    const report = await runScenario(module, { requests: [{ request: { headers: { ':path': '/' } } }] } as never, {
      config: { a: 1 },
    });
    expect(report.requests[0]!.trap).toMatchObject({
      callback: 'proxy_on_request_headers',
      message: 'proxy_on_request_headers ran past its execution deadline of 100 ms and was stopped',
    });
  });

  it('a real `meshwasm proxy` process stuck in a looping filter still exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-deadline-'));
    const file = join(dir, 'looper.wasm');
    writeFileSync(file, module);
    const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [bin, 'proxy', '--upstream', up.url, '--listen', '127.0.0.1:0', '--module', file, '--config', 'x', '-o', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await until(() => out.includes('"listening"'), 'the proxy to listen');
    const url = JSON.parse(out.split('\n').find((l) => l.includes('"listening"'))!).url as string;
    // Keep the filter looping: each request loops until the deadline stops it.
    const pending = Array.from({ length: 5 }, () => fetch(`${url}/loop`, { headers: LOOP }).catch(() => undefined));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await Promise.all(pending);
  });
});
