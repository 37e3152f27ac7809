import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HostError } from '../host-sim/errors.js';
import type { RequestSpec } from '../host-sim/exchange.js';
import { toPairs } from '../host-sim/http-upstream.js';
import { startProxy } from '../proxy/index.js';
import type { ProxyLoadReport, ProxySetupFigures } from './proxy-types.js';
import { ratio } from './stats.js';

export type { ProxyLoadReport, ProxySetupFigures } from './proxy-types.js';

export interface ProxyLoadOptions {
  module: Uint8Array;
  label?: string;
  configuration?: Uint8Array;
  rootId?: string;
  /** Path and headers of the request wrk sends (method GET; wrk's default). */
  request?: RequestSpec;
  connections: number;
  durationSec: number;
  onProgress?: (message: string) => void;
}

/**
 * The upstream runs in a child process so the proxy under test has this process's event loop to
 * itself; it answers every request 200 with a small JSON body.
 */
const UPSTREAM_SCRIPT = `
const http = require('node:http');
const body = Buffer.from('{"ok":true}');
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body));
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', UPSTREAM_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.on('exit', (code) =>
      reject(new HostError('internal', `bench --proxy: the upstream process exited (${code}) before listening`)),
    );
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** A plain Node reverse proxy (keep-alive to the upstream, no filters): what Node alone costs. */
async function startPlainProxy(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
        agent.destroy();
      }),
  };
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
const toMs = (v: string, unit: string) => Math.round(Number(v) * (UNIT_MS[unit] ?? NaN) * 1000) / 1000;

/** Reads wrk's text report (with --latency). Exported for tests. */
export function parseWrk(out: string, name: string): ProxySetupFigures {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const latency = /^\s*Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m)/m.exec(out);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s*(\d+) requests in/m.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!rps || !total) throw new HostError('internal', `bench --proxy: could not read wrk's report:\n${out}`);
  const errors = (non2xx ? Number(non2xx[1]) : 0) + (sock ? sock.slice(1).reduce((a, v) => a + Number(v), 0) : 0);
  return {
    name,
    requestsPerSec: Number(rps[1]),
    latencyMs: {
      p50: pct('50'),
      p75: pct('75'),
      p90: pct('90'),
      p99: pct('99'),
      max: latency ? toMs(latency[1]!, latency[2]!) : NaN,
    },
    errors,
    requests: Number(total[1]),
  };
}

function runWrk(url: string, opts: ProxyLoadOptions, headers: [string, string][]): Promise<string> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.durationSec}s`, '--latency'];
  for (const [k, v] of headers) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (opts.durationSec + 30) * 1000 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        reject(
          new HostError(
            'not-found',
            'bench --proxy needs the load generator wrk; install it (Debian: apt-get install wrk)',
          ),
        );
      } else if (err) reject(new HostError('internal', `bench --proxy: wrk failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Two rounds of one setup: throughput and percentiles averaged (equal durations), max and counts over both. */
function combine(name: string, runs: ProxySetupFigures[]): ProxySetupFigures {
  const mean = (f: (r: ProxySetupFigures) => number) =>
    Math.round((runs.reduce((a, r) => a + f(r), 0) / runs.length) * 1000) / 1000;
  return {
    name,
    requestsPerSec: mean((r) => r.requestsPerSec),
    latencyMs: {
      p50: mean((r) => r.latencyMs.p50),
      p75: mean((r) => r.latencyMs.p75),
      p90: mean((r) => r.latencyMs.p90),
      p99: mean((r) => r.latencyMs.p99),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    errors: runs.reduce((a, r) => a + r.errors, 0),
    requests: runs.reduce((a, r) => a + r.requests, 0),
  };
}

/**
 * Loads the filter through `meshwasm proxy` with wrk, the same proxy with no filters, and a plain
 * Node pass-through proxy, all in front of the same upstream, one at a time.
 */
export async function runProxyLoad(opts: ProxyLoadOptions): Promise<ProxyLoadReport> {
  const progress = opts.onProgress ?? (() => {});
  const pairs = toPairs(opts.request?.headers ?? { ':path': '/', ':authority': 'bench.local' });
  const path = pairs.find(([k]) => k === ':path')?.[1] ?? '/';
  const authority = pairs.find(([k]) => k === ':authority')?.[1];
  const headers = pairs.filter(([k]) => !k.startsWith(':'));
  if (authority) headers.push(['host', authority]);

  const upstream = await startUpstream();
  const setups: ProxySetupFigures[] = [];
  type Running = { url: string; close(): Promise<void> };
  const started: { name: string; proxy: Running }[] = [];
  try {
    started.push({
      name: 'filter chain',
      proxy: await startProxy({
        upstream: upstream.url,
        logLevel: 'info',
        filters: [
          {
            kind: 'wasm',
            name: opts.label ?? 'bench',
            module: opts.module,
            configuration: opts.configuration,
            rootId: opts.rootId,
          },
        ],
      }),
    });
    started.push({ name: 'proxy, no filters', proxy: await startProxy({ upstream: upstream.url, filters: [] }) });
    started.push({ name: 'plain Node pass-through', proxy: await startPlainProxy(upstream.url) });
    // Two half-length rounds in mirrored order (A B C, then C B A), so a machine that gets busier
    // or quieter during the run does not favour whichever setup went first.
    const half = { ...opts, durationSec: Math.max(1, Math.round(opts.durationSec / 2)) };
    const results = new Map<string, ProxySetupFigures[]>();
    for (const order of [started, [...started].reverse()]) {
      for (const p of order) {
        progress(`--proxy: ${p.name}, ${opts.connections} connections for ${half.durationSec}s`);
        const f = parseWrk(await runWrk(p.proxy.url + path, half, headers), p.name);
        results.set(p.name, [...(results.get(p.name) ?? []), f]);
      }
    }
    for (const p of started) setups.push(combine(p.name, results.get(p.name)!));
  } finally {
    for (const p of started) await p.proxy.close();
    upstream.child.kill();
  }
  const [chain, bare, plain] = setups as [ProxySetupFigures, ProxySetupFigures, ProxySetupFigures];
  return {
    tool: 'wrk',
    connections: opts.connections,
    threads: 1,
    durationSec: opts.durationSec,
    setups,
    ratios: {
      vsNoFilters: ratio(chain.requestsPerSec, bare.requestsPerSec),
      vsPlainNode: ratio(chain.requestsPerSec, plain.requestsPerSec),
    },
  };
}
