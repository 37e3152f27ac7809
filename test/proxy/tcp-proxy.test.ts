// The TCP proxy (`meshwasm proxy --tcp`): real sockets on 127.0.0.1, a real upstream made with
// node:net, and the C network filter test/fixtures/c/tcp.c in front of it.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type FilterSpec, type RunningTcpProxy, type TcpConnectionEntry } from '../../proxy/index.js';
import { compileFixture } from '../fixtures/compile.js';

/** An upstream that answers every chunk with "echo:<chunk>" and half-closes when the client does. */
interface EchoServer {
  port: number;
  received: string[];
  close(): Promise<void>;
}

async function startEcho(): Promise<EchoServer> {
  const received: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d) => {
      received.push(d.toString());
      s.write(`echo:${d.toString()}`);
    });
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
      }),
  };
}

/**
 * A client connection that collects what it receives and resolves when the proxy ends it. Like
 * most clients it closes its side when the proxy closes its own (no allowHalfOpen).
 */
function connect(port: number) {
  const s = net.connect({ host: '127.0.0.1', port });
  let text = '';
  const waiters: [(t: string) => boolean, () => void][] = [];
  s.on('data', (d) => {
    text += d.toString();
    for (const w of waiters.splice(0))
      if (w[0](text)) w[1]();
      else waiters.push(w);
  });
  s.on('error', () => {});
  const ended = new Promise<void>((r) => s.on('close', () => r()));
  const until = (pred: (t: string) => boolean) =>
    new Promise<void>((r) => {
      if (pred(text)) r();
      else waiters.push([pred, r]);
    });
  return { socket: s, text: () => text, until, ended };
}

let tcpModule: Uint8Array;
let echo: EchoServer;
let proxy: RunningTcpProxy;
const ended: TcpConnectionEntry[] = [];
const logs: string[] = [];
const spec = (name: string, failStrategy: 'FAIL_CLOSE' | 'FAIL_OPEN' = 'FAIL_CLOSE'): FilterSpec => ({
  kind: 'wasm',
  name,
  module: tcpModule,
  failStrategy,
});

beforeAll(async () => {
  tcpModule = await compileFixture('c/tcp.c');
  echo = await startEcho();
  proxy = await startTcpProxy({
    upstream: `tcp://127.0.0.1:${echo.port}`,
    filters: [spec('tcp-a')],
    onConnection: (e) => ended.push(e),
    onLog: (l) => logs.push(l.message),
  });
});
afterAll(async () => {
  await proxy?.close();
  await echo?.close();
});

function connectionEnded(id: number): Promise<TcpConnectionEntry> {
  return new Promise((resolve) => {
    const check = () => {
      const e = ended.find((x) => x.id === id);
      if (e) resolve(e);
      else setImmediate(check);
    };
    check();
  });
}

describe('meshwasm proxy --tcp (node:net, real sockets on 127.0.0.1)', () => {
  it('forwards bytes both ways through the filter, which rewrites them, and forwards half-closes', async () => {
    const c = connect(proxy.port);
    c.socket.write('WRAP hi');
    await c.until((t) => t === 'echo:[WRAP hi]');
    c.socket.end();
    await c.ended;
    expect(echo.received).toContain('[WRAP hi]');
    const e = await connectionEnded(proxy.stats.connections);
    expect(e).toMatchObject({ bytesIn: 7, bytesOut: 14, closedBy: 'client' });
    expect(logs.some((l) => /^new id=\d+ src=127\.0\.0\.1:\d+ dport=\d+ cid=\d+$/.test(l))).toBe(true);
    expect(logs).toContain(`log id=${/new id=(\d+)/.exec(logs.find((l) => l.startsWith('new'))!)![1]}`);
  });

  it('closes the client connection when the filter calls proxy_close_stream', async () => {
    const c = connect(proxy.port);
    c.socket.write('CLOSE please');
    await c.ended;
    expect(c.text()).toBe('');
    const e = await connectionEnded(proxy.stats.connections);
    expect(e).toMatchObject({ closedBy: 'filter', reason: 'wasm_downstream_close' });
  });

  it('hot swap: an open connection keeps its chain, a new one gets the new chain', async () => {
    const before = connect(proxy.port);
    before.socket.write('one');
    await before.until((t) => t === 'echo:one');
    const oldVersion = proxy.chain().version;
    proxy.applyFilters([spec('tcp-a'), spec('tcp-b')], 'two-filters');
    const after = connect(proxy.port);
    // The first filter wraps; the second sees its output (and leaves it, as it no longer starts with WRAP).
    const seenByB = logs.filter((l) => l.endsWith('data=[WRAP] at1=WRA')).length;
    after.socket.write('WRAP');
    await after.until((t) => t === 'echo:[WRAP]');
    expect(logs.filter((l) => l.endsWith('data=[WRAP] at1=WRA')).length).toBe(seenByB + 1);
    before.socket.write('WRAP');
    await before.until((t) => t === 'echo:oneecho:[WRAP]');
    // The old chain has one filter: nobody saw its wrapped bytes.
    expect(logs.filter((l) => l.endsWith('data=[WRAP] at1=WRA')).length).toBe(seenByB + 1);
    before.socket.end();
    after.socket.end();
    await Promise.all([before.ended, after.ended]);
    const chains = ended.slice(-2).map((e) => e.chain);
    expect(chains.sort()).toEqual([oldVersion, 'two-filters'].sort());
    proxy.applyFilters([spec('tcp-a')], 'back-to-one');
  });

  it('a trap closes the connection (FAIL_CLOSE) and the proxy keeps serving with a reloaded chain', async () => {
    const p = await startTcpProxy({ upstream: `tcp://127.0.0.1:${echo.port}`, filters: [spec('trapper')] });
    try {
      const c = connect(p.port);
      c.socket.write('TRAP');
      await c.ended;
      expect(p.stats.failures).toBe(1);
      // The failed VM fails closed: new connections are closed at once.
      const refused = connect(p.port);
      await refused.ended;
      expect(p.stats.failures).toBe(2);
      // A new chain (a fresh VM) serves again.
      p.applyFilters([spec('trapper-2')]);
      const ok = connect(p.port);
      ok.socket.write('x');
      await ok.until((t) => t === 'echo:x');
      ok.socket.destroy();
    } finally {
      await p.close();
    }
  });

  it('closes the client when the upstream refuses the connection', async () => {
    const dead = await startEcho();
    await dead.close();
    const p = await startTcpProxy({ upstream: `tcp://127.0.0.1:${dead.port}`, filters: [spec('x')] });
    try {
      const c = connect(p.port);
      await c.ended;
      expect(p.stats.upstreamErrors).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('rejects an upstream that is not tcp://host:port, naming the flag and the fix', async () => {
    await expect(startTcpProxy({ upstream: 'http://127.0.0.1:80' })).rejects.toThrow(
      /--upstream "http:\/\/127\.0\.0\.1:80" is not tcp:\/\/host:port; with --tcp, pass e\.g\. --upstream tcp:\/\//,
    );
  });
});

describe('meshwasm proxy --tcp (the built CLI as a child process)', () => {
  it('listens, forwards through the --module filter, prints one JSON event per connection, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-tcp-cli-'));
    const file = join(dir, 'tcp.wasm');
    writeFileSync(file, tcpModule);
    const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [
        bin,
        'proxy',
        '--tcp',
        '127.0.0.1:0',
        '--upstream',
        `tcp://127.0.0.1:${echo.port}`,
        '--module',
        file,
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const events: Record<string, any>[] = [];
    const wait = (name: string) =>
      new Promise<Record<string, any>>((resolve) => {
        const hit = events.find((e) => e.event === name);
        if (hit) return resolve(hit);
        const rl = createInterface({ input: child.stdout });
        rl.on('line', () => {
          const e = events.find((x) => x.event === name);
          if (e) {
            rl.close();
            resolve(e);
          }
        });
      });
    createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const listening = await wait('listening');
    const port = Number(/:(\d+)$/.exec(listening.address as string)![1]);
    const c = connect(port);
    c.socket.write('WRAP cli');
    await c.until((t) => t === 'echo:[WRAP cli]');
    c.socket.end();
    await c.ended;
    const conn = await wait('connection');
    expect(conn).toMatchObject({ bytesIn: 8, closedBy: 'client' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses --tcp with an http:// upstream (exit 2, the fix in the message)', async () => {
    const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'proxy', '--tcp', '127.0.0.1:0', '--upstream', 'http://127.0.0.1:1']);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(stderr).toContain('--upstream must be tcp://host:port');
    expect(code).not.toBe(0);
  });
});
