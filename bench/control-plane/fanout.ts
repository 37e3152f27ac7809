import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import YAML from 'yaml';
import { DirectorySource, HttpModuleSource, Resolver, startControlPlane } from '../../control-plane/index.js';
import type { ControlPlane } from '../../control-plane/control-plane.js';
import type { ClientCommand, ClientReport } from './protocol.js';
import { StatusRecordingSource } from './status-recording-source.js';

/**
 * `meshwasm bench-control-plane`: a real control plane in this process (directory source, or a
 * status-keeping one), N real ECDS streams from `clients` child processes that ACK as Envoy does
 * and download modules over HTTP with their sha256 checked, and what it costs the control plane
 * to serve them. Timings are taken where the ACKs arrive: in the control plane ('ack' events).
 */
export interface FanoutOptions {
  proxies: number[];
  /** Client processes (default 2: one per core of the machine this was written on). */
  clients: number;
  /** ECDS streams per HTTP/2 connection in the clients. */
  perConnection: number;
  /** Distinct proxy views (label groups with their own extension). */
  groups: number;
  /** Config changes and module changes measured per N. */
  repeat: number;
  /** Use the status-keeping source (writeConditions path). */
  statusSource: boolean;
  /** Give up on a phase after this long (ms). */
  phaseTimeoutMs: number;
  moduleBytes: number;
  progress?: (line: string) => void;
}

export interface Latency {
  /** Proxies that ACKed within the phase timeout. */
  acked: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Control-plane CPU (user+system) from the change until the last ACK, per proxy. */
  cpuUsPerProxy: number;
  /** CPU of all client processes over the same window, per proxy. */
  clientCpuUsPerProxy: number;
  /** Status writes during the phase (status-keeping source only). */
  statusWrites?: number;
}

export interface FanoutResult {
  proxies: number;
  connect: Latency;
  config: Latency[];
  module: Latency[];
  reconnect: Latency;
  memory: { rssBytesPerProxy: number; heapBytesPerProxy: number };
  /** What the client processes did: module downloads, retries, failures, their memory. */
  clients: { fetches: number; retries: number; failures: number; rssBytes: number; errors: string[] };
  /** The status-keeping source's final Ready condition matched the control plane's /status. */
  statusConsistent?: boolean;
}

export interface FanoutReport {
  machine: { cpus: string; node: string; load: number[] };
  options: Omit<FanoutOptions, 'progress'>;
  results: FanoutResult[];
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A valid wasm module of about `bytes` bytes: the header and one custom section. */
function module(tag: string, bytes: number): Uint8Array {
  const name = Buffer.from('meshwasm-bench');
  const payload = Buffer.alloc(Math.max(bytes - 32, 1), tag);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  const len: number[] = [];
  let n = body.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n);
  return new Uint8Array(Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, ...len]), body]));
}

const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class Clients {
  private readonly procs: ChildProcess[] = [];
  private waiters: ((m: ClientReport, i: number) => void)[] = [];
  errors: string[] = [];

  async start(n: number): Promise<void> {
    const script = new URL('./client.js', import.meta.url);
    for (let i = 0; i < n; i++) {
      const p = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
      p.on('message', (m: ClientReport) => {
        if (m.type === 'error') {
          if (this.errors.length < 20) this.errors.push(m.message);
          return;
        }
        for (const w of this.waiters) w(m, i);
      });
      this.procs.push(p);
    }
    await this.all('ready');
  }

  /** Sends to each process and waits for each one's answer of `type`. */
  async all<T extends ClientReport['type']>(
    type: T,
    cmd?: (i: number) => ClientCommand,
  ): Promise<Extract<ClientReport, { type: T }>[]> {
    const got: Extract<ClientReport, { type: T }>[] = [];
    const done = new Promise<void>((resolve) => {
      const w = (m: ClientReport, i: number) => {
        if (m.type !== type) return;
        got[i] = m as Extract<ClientReport, { type: T }>;
        if (Object.keys(got).length === this.procs.length) {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve();
        }
      };
      this.waiters.push(w);
    });
    if (cmd) for (const [i, p] of this.procs.entries()) p.send(cmd(i));
    await done;
    return got;
  }

  send(cmd: ClientCommand): void {
    for (const p of this.procs) p.send(cmd);
  }

  each(cmd: (i: number) => ClientCommand): void {
    for (const [i, p] of this.procs.entries()) p.send(cmd(i));
  }

  async cpuUs(): Promise<number> {
    const u = await this.all('usage', () => ({ type: 'usage' }));
    return u.reduce((s, x) => s + x.cpu.user + x.cpu.system, 0);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.send({ type: 'close' } satisfies ClientCommand);
          }),
      ),
    );
  }
}

async function moduleServer(files: Record<string, Uint8Array>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/wasm' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function manifests(
  opts: FanoutOptions,
  base: string,
  mod: string,
  modSha: string,
  v1Sha: string,
  configRev: number,
): string {
  const docs: object[] = [
    {
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      // The root namespace: it applies to every proxy.
      metadata: { name: 'bench-all', namespace: 'istio-system' },
      spec: { url: `${base}/${mod}`, sha256: modSha, phase: 'STATS', pluginConfig: { revision: configRev } },
    },
  ];
  for (let g = 0; g < opts.groups; g++)
    docs.push({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      metadata: { name: `bench-group-${g}`, namespace: 'default' },
      spec: {
        url: `${base}/v1.wasm`,
        sha256: v1Sha,
        phase: 'AUTHZ',
        selector: { matchLabels: { 'bench-group': String(g) } },
        pluginConfig: { group: g },
      },
    });
  return docs.map((d) => YAML.stringify(d)).join('---\n');
}

async function runOne(n: number, opts: FanoutOptions): Promise<FanoutResult> {
  const say = opts.progress ?? (() => undefined);
  // Every module change brings a module no proxy has yet (m1, m2, ...): nothing comes from a code cache.
  const v1 = module('0', opts.moduleBytes);
  const files: Record<string, Uint8Array> = { '/v1.wasm': v1 };
  const mods = await moduleServer(files);
  const dir = mkdtempSync(join(tmpdir(), 'meshwasm-bench-cp-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'meshwasm-bench-cp-cache-'));
  const manifestFile = join(dir, 'bench.yaml');
  let rev = 1;
  let modName = 'v1.wasm';
  const write = () =>
    writeFileSync(
      manifestFile,
      manifests(opts, mods.url, modName, sha(files[`/${modName}` as '/v1.wasm']), sha(v1), rev),
    );
  write();
  const sourceOpts = { debounceMs: 10, rescanMs: 3_600_000 };
  const source = opts.statusSource ? new StatusRecordingSource(dir, sourceOpts) : new DirectorySource(dir, sourceOpts);
  const clients = new Clients();
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({
      sources: [source],
      resolver: new Resolver([new HttpModuleSource()], { dir: cacheDir }),
    });
    const server = cp;
    await clients.start(opts.clients);
    gc();
    const mem0 = process.memoryUsage();

    /** node id -> the version it ACKed last; a phase is done when every proxy ACKed a new one. */
    const acked = new Map<string, string>();
    let phase:
      | { start: number; seen: Map<string, number>; accept: (id: string, v: string, stream: number) => boolean }
      | undefined;
    let finish: (() => void) | undefined;
    server.on('ack', (p: { nodeId: string; streamId: number; acked?: { versionInfo: string } }) => {
      const v = p.acked?.versionInfo ?? '';
      if (phase && !phase.seen.has(p.nodeId) && phase.accept(p.nodeId, v, p.streamId)) {
        phase.seen.set(p.nodeId, performance.now() - phase.start);
        if (phase.seen.size === n) finish?.();
      }
      acked.set(p.nodeId, v);
    });
    const measure = async (
      what: string,
      accept: (id: string, v: string, stream: number) => boolean,
      act: () => void,
    ): Promise<Latency> => {
      const writes0 = source instanceof StatusRecordingSource ? source.writes : 0;
      const clientCpu0 = await clients.cpuUs();
      const cpu0 = process.cpuUsage();
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      phase = { start: performance.now(), seen: new Map(), accept };
      act();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, opts.phaseTimeoutMs)))]);
      clearTimeout(timer);
      const cpu = process.cpuUsage(cpu0);
      const clientCpu = (await clients.cpuUs()) - clientCpu0;
      const times = [...phase.seen.values()].sort((a, b) => a - b);
      phase = undefined;
      const l: Latency = {
        acked: times.length,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: times.at(-1) ?? Number.NaN,
        cpuUsPerProxy: (cpu.user + cpu.system) / n,
        clientCpuUsPerProxy: clientCpu / n,
        ...(source instanceof StatusRecordingSource ? { statusWrites: source.writes - writes0 } : {}),
      };
      say(
        `  N=${n} ${what}: ${l.acked}/${n} ACKed, p50 ${l.p50Ms.toFixed(0)} ms, p99 ${l.p99Ms.toFixed(0)} ms, ` +
          `CPU ${l.cpuUsPerProxy.toFixed(1)} µs/proxy (clients ${l.clientCpuUsPerProxy.toFixed(1)})` +
          (l.statusWrites !== undefined ? `, ${l.statusWrites} status writes` : ''),
      );
      return l;
    };
    const split = (i: number) => {
      const per = Math.ceil(n / opts.clients);
      return { first: i * per, count: Math.max(0, Math.min(per, n - i * per)) };
    };
    // Cold start: every proxy connects at once to a control plane that has its config.
    const connect = await measure(
      'connect',
      (_id, v) => v !== '',
      () =>
        clients.each((i) => ({
          type: 'connect',
          xds: server.xdsAddress,
          perConnection: opts.perConnection,
          groups: opts.groups,
          ...split(i),
        })),
    );
    gc();
    const mem1 = process.memoryUsage();
    const memory = {
      rssBytesPerProxy: (mem1.rss - mem0.rss) / n,
      heapBytesPerProxy: (mem1.heapUsed - mem0.heapUsed) / n,
    };
    say(
      `  N=${n} memory: ${(memory.rssBytesPerProxy / 1024).toFixed(1)} KB RSS, ${(memory.heapBytesPerProxy / 1024).toFixed(1)} KB heap per proxy`,
    );
    const newVersion = (id: string, v: string) => acked.get(id) !== v;
    const change = (edit: () => void) => () => {
      edit();
      write();
      source.scan();
    };
    const config: Latency[] = [];
    const moduleChanges: Latency[] = [];
    for (let r = 0; r < opts.repeat; r++) {
      config.push(
        await measure(
          'config change',
          newVersion,
          change(() => rev++),
        ),
      );
      moduleChanges.push(
        await measure(
          'module change',
          newVersion,
          change(() => {
            modName = `m${r + 1}.wasm`;
            files[`/${modName}`] = module(String.fromCharCode(97 + (r % 26)) + String(r), opts.moduleBytes);
          }),
        ),
      );
    }
    // Every proxy drops its stream and reconnects at once, as after a control-plane restart.
    const before = Math.max(...server.proxies().map((p) => p.streamId));
    const reconnect = await measure(
      'reconnect storm',
      (_id, _v, stream) => stream > before,
      () => clients.send({ type: 'reconnect' }),
    );
    let statusConsistent: boolean | undefined;
    if (source instanceof StatusRecordingSource) {
      // Let the last coalesced writes land, then compare with what /status says.
      await new Promise((r) => setTimeout(r, 2500));
      const report = server.status();
      statusConsistent = report.extensions.every((e) => {
        const w = source.last.get(`${e.namespace}/${e.name}`);
        return w && w.reason === e.condition.reason && w.message === e.condition.message;
      });
    }
    if (clients.errors.length) say(`  client errors: ${clients.errors.slice(0, 3).join('; ')}`);
    const usage = await clients.all('usage', () => ({ type: 'usage' }));
    const clientStats = {
      fetches: usage.reduce((a, u) => a + u.fetches, 0),
      retries: usage.reduce((a, u) => a + u.retries, 0),
      failures: usage.reduce((a, u) => a + u.failures, 0),
      rssBytes: usage.reduce((a, u) => a + u.rss, 0),
      errors: clients.errors.slice(0, 5),
    };
    return {
      proxies: n,
      connect,
      config,
      module: moduleChanges,
      reconnect,
      memory,
      clients: clientStats,
      ...(statusConsistent !== undefined ? { statusConsistent } : {}),
    };
  } finally {
    await clients.close();
    // A control plane that failed to start never closes its source: close it here.
    await (cp?.close() ?? source.close());
    await new Promise<void>((r) => mods.server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

export async function benchControlPlane(opts: FanoutOptions): Promise<FanoutReport> {
  const { cpus, loadavg } = await import('node:os');
  const results: FanoutResult[] = [];
  for (const n of opts.proxies) results.push(await runOne(n, opts));
  const { progress: _p, ...rest } = opts;
  return {
    machine: { cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`, node: process.version, load: loadavg() },
    options: rest,
    results,
  };
}
