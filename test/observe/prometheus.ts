// Starts Debian's real prometheus on 127.0.0.1 for a test: a scrape config for the given
// targets, a temp TSDB, and a query helper for its HTTP API. Missing prometheus fails the test
// (scripts/system-packages.txt lists it), it never skips.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

export interface RunningPrometheus {
  url: string;
  /** Instant query through /api/v1/query: the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** jobs: job name -> host:port of a /metrics endpoint. */
export async function startPrometheus(jobs: Record<string, string>): Promise<RunningPrometheus> {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('prometheus is not installed: run "apt-get install prometheus" (scripts/system-packages.txt)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'meshwasm-prom-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: Object.entries(jobs).map(([job, target]) => ({
      job_name: job,
      scrape_interval: '1s',
      metrics_path: '/metrics',
      static_configs: [{ targets: [target] }],
    })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), YAML.stringify(config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: [] } };
      if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
      return body.data!.result;
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
