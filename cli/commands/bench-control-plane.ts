import { writeFileSync } from 'node:fs';
import { benchControlPlane, type FanoutReport, type Latency } from '../../bench/control-plane/fanout.js';
import { fanoutHtml } from '../../bench/control-plane/html-report.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, progress, type OutputFormat } from '../output.js';

interface Options {
  proxies: string;
  clients: string;
  perConnection: string;
  groups: string;
  repeat: string;
  statusSource?: boolean;
  phaseTimeout: string;
  moduleBytes: string;
  html?: string;
  output: OutputFormat;
}

function count(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`--${flag} "${value}" is not a whole number ≥ ${min}; e.g. --${flag} ${min}`, ExitCode.usage);
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
const span = (ls: Latency[], f: (l: Latency) => number) => {
  const v = ls.map(f);
  return `${median(v).toFixed(0)} (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`;
};

function render(r: FanoutReport): string {
  const lines = [
    `machine: ${r.machine.cpus}, Node ${r.machine.node}, load ${r.machine.load.map((l) => l.toFixed(2)).join(' ')}`,
    'proxies  connect p99  config p50/p99 ms (min–max)        module p50/p99 ms (min–max)        reconnect ms  KB/proxy (rss/heap)  CPU µs/proxy/push cfg,mod (clients)',
  ];
  for (const x of r.results) {
    lines.push(
      [
        String(x.proxies).padStart(7),
        x.connect.p99Ms.toFixed(0).padStart(11),
        `${span(x.config, (l) => l.p50Ms)} / ${span(x.config, (l) => l.p99Ms)}`.padEnd(34),
        `${span(x.module, (l) => l.p50Ms)} / ${span(x.module, (l) => l.p99Ms)}`.padEnd(34),
        x.reconnect.maxMs.toFixed(0).padStart(12),
        `${(x.memory.rssBytesPerProxy / 1024).toFixed(1)}/${(x.memory.heapBytesPerProxy / 1024).toFixed(1)}`.padStart(
          19,
        ),
        `${median(x.config.map((l) => l.cpuUsPerProxy)).toFixed(1)},${median(x.module.map((l) => l.cpuUsPerProxy)).toFixed(1)} (${median(x.config.map((l) => l.clientCpuUsPerProxy)).toFixed(1)})`.padStart(
          20,
        ),
      ].join('  '),
    );
    const incomplete = [x.connect, ...x.config, ...x.module, x.reconnect].some((l) => l.acked < x.proxies);
    if (incomplete) lines.push(`         some proxies did not ACK within --phase-timeout (see -o json: acked)`);
    if (x.statusConsistent !== undefined)
      lines.push(
        `         status writes per change: config ${x.config.map((l) => l.statusWrites).join(',')}, module ${x.module.map((l) => l.statusWrites).join(',')}; final status ${x.statusConsistent ? 'matches' : 'DOES NOT match'} /status`,
      );
  }
  return lines.join('\n');
}

export async function benchControlPlaneCommand(o: Options): Promise<void> {
  const proxies = o.proxies.split(',').map((v) => count('proxies', v.trim()));
  // Before minutes of measuring: a report path that cannot be written fails now.
  if (o.html) {
    try {
      writeFileSync(o.html, '');
    } catch (err) {
      throw new CliError(
        `--html ${o.html}: cannot write it (${(err as Error).message}); pick a writable path`,
        ExitCode.invalidInput,
      );
    }
  }
  const report = await benchControlPlane({
    proxies,
    clients: count('clients', o.clients),
    perConnection: count('per-connection', o.perConnection),
    groups: count('groups', o.groups),
    repeat: count('repeat', o.repeat),
    statusSource: !!o.statusSource,
    phaseTimeoutMs: count('phase-timeout', o.phaseTimeout) * 1000,
    moduleBytes: count('module-bytes', o.moduleBytes, 64),
    progress,
  });
  if (o.html) writeFileSync(o.html, fanoutHtml(report));
  printResult(o.output, report, () => render(report));
  const incomplete = report.results.some((x) =>
    [x.connect, ...x.config, ...x.module, x.reconnect].some((l) => l.acked < x.proxies),
  );
  if (incomplete || report.results.some((x) => x.statusConsistent === false)) process.exitCode = ExitCode.checkFailed;
}
