import type { ExtensionStatus, StatusReport } from '../../control-plane/index.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';

interface StatusOptions {
  controlPlane: string;
  output: OutputFormat;
  watch?: boolean;
  interval?: string;
}

async function fetchReport(base: string): Promise<StatusReport> {
  const url = `${base.replace(/\/$/, '')}/status`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    return (await res.json()) as StatusReport;
  } catch (err) {
    throw new CliError(
      `status: cannot reach the control plane at ${url}: ${(err as Error).message}; start it with "meshwasm control-plane" or pass --control-plane URL`,
      ExitCode.remote,
    );
  }
}

export async function status(o: StatusOptions): Promise<void> {
  if (o.watch) return watch(o);
  const report = await fetchReport(o.controlPlane);
  printResult(o.output, report, () => render(report));
  const failing = report.extensions.some((e) => e.condition.status !== 'True') || report.sourceErrors.length > 0;
  if (failing) process.exitCode = ExitCode.checkFailed;
}

const short = (d: string | undefined) => (d ? `sha256:${d.slice(0, 12)}` : '-');

function render(r: StatusReport): string {
  const lines: string[] = [`control plane: ECDS ${r.controlPlane.xds}, HTTP ${r.controlPlane.http}`];
  if (!r.extensions.length) lines.push('no extensions');
  for (const e of r.extensions) lines.push(...renderExtension(e));
  for (const s of r.sourceErrors) lines.push(`invalid manifest: ${s.message}`);
  lines.push(`${r.proxies.length} proxies connected; cache ${r.cache.entries} modules, ${r.cache.bytes} bytes`);
  return lines.join('\n');
}

function renderExtension(e: ExtensionStatus): string[] {
  const c = e.condition;
  const lines = [`${e.kind} ${e.namespace}/${e.name}  ${c.reason} (Ready=${c.status}): ${c.message}`];
  lines.push(`  url ${e.url}`);
  const serving = e.serving.map((s) => `${short(s.digest)} on ${s.proxies} prox${s.proxies === 1 ? 'y' : 'ies'}`);
  lines.push(`  wanted ${short(e.wanted.digest)}; serving ${serving.length ? serving.join(', ') : 'nowhere yet'}`);
  if (e.fallback) lines.push(`  fallback: RBAC ${e.fallback}`);
  if (e.signedBy) lines.push(`  signed by ${e.signedBy}`);
  if (e.manifestError) lines.push(`  invalid manifest, serving its last valid version: ${e.manifestError}`);
  if (e.error) lines.push(`  error: ${e.error}`);
  for (const p of e.proxies) {
    const runs =
      p.runningVersion !== undefined
        ? `runs ${short(p.runningDigest)} (version ${p.runningVersion})`
        : 'runs nothing of it';
    const state = p.nack
      ? `NACKed ${short(p.nackedDigest)} (version ${p.nackedVersion}): ${p.nack}`
      : p.acked
        ? 'ACKed'
        : `sent ${short(p.sentDigest)}, no answer yet`;
    lines.push(`  proxy ${p.nodeId}: ${runs}; ${state}`);
  }
  return lines;
}

/** One line (text) or JSON object per change: an extension's condition or served digests, a proxy joining or leaving. */
function changes(
  prev: StatusReport | undefined,
  next: StatusReport,
): { text: string; json: Record<string, unknown> }[] {
  const out: { text: string; json: Record<string, unknown> }[] = [];
  const before = new Map((prev?.extensions ?? []).map((e) => [e.key, e]));
  const summary = (e: ExtensionStatus) =>
    JSON.stringify([
      e.condition,
      e.wanted,
      e.serving,
      e.proxies.map((p) => [p.nodeId, p.acked, p.runningDigest, p.nack]),
    ]);
  for (const e of next.extensions) {
    const b = before.get(e.key);
    before.delete(e.key);
    if (b && summary(b) === summary(e)) continue;
    out.push({
      text: `${e.key}: ${b && b.condition.reason !== e.condition.reason ? `${b.condition.reason} -> ` : ''}${e.condition.reason}: ${e.condition.message}`,
      json: {
        extension: e.key,
        condition: e.condition,
        wanted: e.wanted,
        serving: e.serving,
        proxies: e.proxies,
        ...(b ? { previous: b.condition.reason } : {}),
      },
    });
  }
  for (const key of before.keys()) out.push({ text: `${key}: removed`, json: { extension: key, removed: true } });
  const was = new Set((prev?.proxies ?? []).map((p) => p.nodeId));
  const now = new Set(next.proxies.map((p) => p.nodeId));
  for (const n of now)
    if (!was.has(n)) out.push({ text: `proxy ${n}: connected`, json: { proxy: n, connected: true } });
  for (const n of was)
    if (!now.has(n)) out.push({ text: `proxy ${n}: disconnected`, json: { proxy: n, connected: false } });
  return out;
}

/**
 * `status --watch`: polls /status and prints each change as it appears (JSON lines with -o json),
 * until SIGINT/SIGTERM. The first report is printed whole. A control plane that stops answering
 * ends the watch with exit 6.
 */
async function watch(o: StatusOptions): Promise<void> {
  const interval = Number(o.interval ?? '1000');
  if (!Number.isInteger(interval) || interval < 50)
    throw new CliError(
      `status: --interval "${o.interval}" is not a number of milliseconds >= 50`,
      ExitCode.invalidInput,
    );
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let prev: StatusReport | undefined;
  while (!stopped) {
    const next = await fetchReport(o.controlPlane);
    const time = new Date().toISOString();
    if (!prev && o.output !== 'json') process.stdout.write(`${render(next)}\n`);
    for (const c of changes(prev, next)) {
      if (o.output === 'json') process.stdout.write(JSON.stringify({ time, ...c.json }) + '\n');
      else if (prev) process.stdout.write(`${time.slice(11, 19)} ${c.text}\n`);
    }
    prev = next;
    await new Promise((r) => setTimeout(r, interval));
  }
}
