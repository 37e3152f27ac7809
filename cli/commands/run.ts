import { readFile } from 'node:fs/promises';
import { parseScenario } from '../../host-sim/scenario/scenario.js';
import { runScenario, type ScenarioReport } from '../../host-sim/scenario/run-scenario.js';
import { ConfigureError } from '../../host-sim/errors.js';
import type { FailStrategy } from '../../host-sim/plugin.js';
import { readConfigArg } from '../config-arg.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';

interface RunOptions {
  request: string;
  config?: string;
  vmConfig?: string;
  rootId?: string;
  failStrategy: FailStrategy;
  output: OutputFormat;
  envoyVersion?: string;
  verbose?: boolean;
}

export async function run(modulePath: string, opts: RunOptions): Promise<void> {
  let scenarioText: string;
  try {
    scenarioText = await readFile(opts.request, 'utf8');
  } catch {
    throw new CliError(
      `run: cannot read scenario ${opts.request}; pass a YAML file with "requests:" (see docs/run.md)`,
      ExitCode.notFound,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(modulePath));
  } catch {
    throw new CliError(`run: cannot read module ${modulePath}; build one with "meshwasm build"`, ExitCode.notFound);
  }
  const scenario = parseScenario(scenarioText, opts.request);
  let report: ScenarioReport;
  try {
    report = await runScenario(bytes, scenario, {
      config: readConfigArg(opts.config),
      vmConfig: readConfigArg(opts.vmConfig, '--vm-config'),
      rootId: opts.rootId || undefined,
      failStrategy: opts.failStrategy,
      label: modulePath,
      envoyVersion: opts.envoyVersion,
    });
  } catch (err) {
    // A trap in on_vm_start/on_configure is a trap (exit 9), not a refused configuration (3).
    if (err instanceof ConfigureError && err.trap) {
      const guestLog = err.logs.map((l) => `  ${l.level}: ${l.message}`).join('\n');
      throw new CliError(
        `run: ${err.message}` +
          (opts.verbose
            ? `\nguest output:\n${guestLog}`
            : guestLog
              ? '\n(run with --verbose for the full guest output)'
              : ''),
        ExitCode.checkFailed,
      );
    }
    throw err;
  }
  printResult(opts.output, report, () => formatReport(report));
  if (report.requests.some((r) => r.trap || r.vmTraps.length > 0) || report.connections.some((c) => c.trap))
    process.exitCode = ExitCode.checkFailed;
}

function formatReport(report: ScenarioReport): string {
  const lines: string[] = [];
  for (const l of report.startup.logs) lines.push(`[start-up] ${l.level}: ${l.message}`);
  for (const r of report.requests) {
    lines.push(`== ${r.name}`);
    if (r.trap)
      lines.push(
        `  TRAP in ${r.trap.callback}${r.trap.function ? ` (${r.trap.function})` : ''}: ${r.trap.message} -> ${r.trap.policy}`,
      );
    for (const t of r.vmTraps)
      lines.push(
        `  VM TRAP in ${t.callback}${t.function ? ` (${t.function})` : ''} of plugin ${t.plugin}: ${t.message}${t.logged ? ` (the filter logged: ${t.logged})` : ''} -> the VM failed; later requests see the failure policy`,
      );
    if (r.localReply)
      lines.push(
        `  local reply ${r.localReply.status}${r.localReply.details ? ` (${r.localReply.details})` : ''}${r.localReply.body ? `: ${r.localReply.body}` : ''}`,
      );
    if (r.upstream.reached) {
      lines.push('  upstream request:');
      pushDiff(lines, r.upstream.diff);
    } else lines.push('  upstream: not reached');
    lines.push(`  downstream response: ${r.downstream.reset ? 'reset' : r.downstream.status}`);
    pushDiff(lines, r.downstream.diff);
    if (r.stalled) lines.push('  STALLED: the filter paused the stream and nothing resumed it');
    for (const c of r.httpCalls) {
      const resp = c.response as { status?: number; failure?: string } | undefined;
      lines.push(
        `  http call -> ${c.cluster} ${c.headers[':method'] ?? ''} ${c.headers[':path'] ?? ''}: ${resp?.failure ?? resp?.status ?? 'no response'}`,
      );
    }
    pushGrpc(lines, r.grpcCalls);
    for (const l of r.logs) lines.push(`  log ${l.level}: ${l.message}`);
    const metrics = Object.entries(r.metrics);
    if (metrics.length) lines.push(`  metrics: ${metrics.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  for (const c of report.connections) {
    lines.push(`== ${c.name} (TCP)`);
    if (c.trap)
      lines.push(`  TRAP in ${c.trap.callback}${c.trap.function ? ` (${c.trap.function})` : ''}: ${c.trap.message}`);
    lines.push(`  upstream received: ${JSON.stringify(c.upstream.received)}${c.upstream.ended ? ' (ended)' : ''}`);
    lines.push(`  client received: ${JSON.stringify(c.downstream.received)}${c.downstream.ended ? ' (ended)' : ''}`);
    lines.push(`  connection: ${c.closed ? `closed by ${c.closed.by} (${c.closed.reason})` : 'open'}`);
    pushGrpc(lines, c.grpcCalls);
    for (const l of c.logs) lines.push(`  log ${l.level}: ${l.message}`);
    const metrics = Object.entries(c.metrics);
    if (metrics.length) lines.push(`  metrics: ${metrics.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  return lines.join('\n');
}

function pushGrpc(lines: string[], calls: ScenarioReport['requests'][number]['grpcCalls']): void {
  for (const g of calls) {
    const outcome =
      g.outcome === undefined ? 'no answer' : g.outcome === 'cancelled' ? 'cancelled' : `status ${g.outcome.status}`;
    lines.push(`  grpc ${g.kind} -> ${g.cluster} ${g.service}/${g.method}: ${outcome}`);
  }
}

function pushDiff(
  lines: string[],
  d: { added: [string, string][]; removed: [string, string][]; changed: { name: string; from: string; to: string }[] },
): void {
  for (const [k, v] of d.added) lines.push(`    + ${k}: ${v}`);
  for (const c of d.changed) lines.push(`    ~ ${c.name}: ${c.from} -> ${c.to}`);
  for (const [k, v] of d.removed) lines.push(`    - ${k}: ${v}`);
  if (!d.added.length && !d.changed.length && !d.removed.length) lines.push('    (headers unchanged)');
}
