import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { docCommands, sh } from '../scaffold/doc-commands.js';

const repo = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const work = mkdtempSync(path.join(tmpdir(), 'mw-tutorial-'));
const background: ChildProcess[] = [];

afterAll(async () => {
  for (const child of background) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

/** A port the OS says is free now (the tutorial's fixed 8080 and 10000 may be taken here). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a long-running command and resolves with a way to wait for lines of its output. */
function startBackground(command: string, cwd: string, env: Record<string, string>) {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env: { ...process.env, ...env } });
  background.push(child);
  const seen: string[] = [];
  const waiting: { re: RegExp; resolve: (l: string) => void }[] = [];
  let all = '';
  const onLine = (line: string) => {
    all += `${line}\n`;
    seen.push(line);
    for (const w of [...waiting]) {
      if (w.re.test(line)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  return {
    output: () => all,
    /** The first line matching `re` printed after `from` lines. */
    waitFor(re: RegExp, from = 0): Promise<string> {
      const hit = seen.slice(from).find((l) => re.test(l));
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiting.push({ re, resolve }));
    },
    lines: () => seen.length,
  };
}

describe('docs/tutorial.md, every command in order (meshwasm on PATH through a shim, as npm link makes it)', () => {
  it('init, install, build, test, run, an upstream, dev with its proxy, curl, an edit hot-swapped in', async () => {
    const commands = docCommands(path.join(repo, 'docs', 'tutorial.md'));
    const shims = path.join(work, 'bin');
    mkdirSync(shims);
    writeFileSync(
      path.join(shims, 'meshwasm'),
      `#!/bin/sh\nexec node ${JSON.stringify(path.join(repo, 'bin/meshwasm.js'))} "$@"\n`,
    );
    chmodSync(path.join(shims, 'meshwasm'), 0o755);
    const env = { PATH: `${shims}:${process.env.PATH}` };
    const [upstreamPort, proxyPort] = [await freePort(), await freePort()];
    const ports = (c: string) =>
      c
        .replaceAll(':8080', `:${upstreamPort}`)
        .replaceAll(':10000', `:${proxyPort}`)
        .replaceAll('(8080,', `(${upstreamPort},`);

    let cwd = work;
    let dev: ReturnType<typeof startBackground> | undefined;
    const curls: string[] = [];
    for (const written of commands) {
      const command = ports(written);
      if (command.startsWith('cd ')) {
        cwd = path.join(cwd, command.slice(3));
        continue;
      }
      if (command.startsWith('node -e')) {
        const upstream = startBackground(command, cwd, env);
        await new Promise<void>((resolve) => {
          // Ready once something accepts connections on the port.
          const poll = () =>
            net
              .connect(upstreamPort, '127.0.0.1', function (this: net.Socket) {
                this.end();
                resolve();
              })
              .on('error', () => setTimeout(poll, 50));
          poll();
        });
        expect(upstream.output()).toBe('');
        continue;
      }
      if (command.includes('meshwasm dev')) {
        dev = startBackground(command, cwd, env);
        await dev.waitFor(/#1 start: ok in [\d.]+ s; built build\/release\.wasm .*proxy serving local-1/);
        await dev.waitFor(/^watching .*; proxy on http:\/\/127\.0\.0\.1:\d+/);
        continue;
      }
      const before = dev?.lines() ?? 0;
      const r = await sh(
        command.replace(/^npm install$/, 'npm install --no-audit --no-fund --prefer-offline'),
        cwd,
        env,
      );
      expect(r.status, `${written}\n${r.output}`).toBe(0);
      if (command.startsWith('sed '))
        await dev!.waitFor(/#2 assembly\/index\.ts: ok in [\d.]+ s; .*proxy serving dev-2/, before);
      if (command.startsWith('curl ')) curls.push(r.output);
      if (command === 'npm test') expect(r.output).toMatch(/Tests\s+4 passed/);
      if (command.includes('--scenario examples/request.yaml')) expect(r.output).toContain('+ x-hello: world');
    }
    // The walk-through still reaches the hot swap it promises (a doc edit that dropped a step fails here).
    expect(dev).toBeDefined();
    expect(curls).toHaveLength(2);
    expect(curls[0]).toMatch(/^x-filter: blank; path=\/orders\/7\r?$/m);
    expect(curls[0]).toContain('"x-hello":"world"');
    expect(curls[1]).toMatch(/^x-filter: hello; path=\/orders\/7\r?$/m);
  }, 900_000);
});
