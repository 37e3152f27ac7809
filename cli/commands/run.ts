import { readFile } from 'node:fs/promises';
import { DEFAULT_REQUEST } from '../../bench/scenario.js';
import { parseScenario, type Scenario } from '../../host-sim/scenario/scenario.js';
import { runScenario, type ScenarioReport } from '../../host-sim/scenario/run-scenario.js';
import { ConfigureError, frameLines } from '../../host-sim/errors.js';
import type { ResponseSpec } from '../../host-sim/exchange.js';
import type { FailStrategy } from '../../host-sim/plugin.js';
import { readConfigArg } from '../config-arg.js';
import { CliError, ExitCode } from '../errors.js';
import { withAbsoluteSourceMap } from '../../host-sim/module/debugger-source-map.js';
import { printResult, type OutputFormat } from '../output.js';

interface RunOptions {
  scenario?: string;
  /** The old spelling of --scenario (-r/--request), kept for one release. */
  request?: string;
  config?: string;
  vmConfig?: string;
  rootId?: string;
  failStrategy: FailStrategy;
  output: OutputFormat;
  envoyVersion?: string;
  verbose?: boolean;
  /** host:port for the V8 inspector (true: 127.0.0.1:9229); waits for a debugger before the module starts. */
  inspectBrk?: string | true;
}

export async function run(modulePath: string, opts: RunOptions): Promise<void> {
  const scenarioFile = opts.scenario ?? opts.request;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(modulePath));
  } catch {
    throw new CliError(`run: cannot read module ${modulePath}; build one with "meshwasm build"`, ExitCode.notFound);
  }
  let scenario: Scenario;
  if (scenarioFile === undefined) {
    // No scenario: the request `meshwasm bench` plays, so a first run needs nothing but the module.
    scenario = {
      requests: [
        {
          name: 'default request (GET /api/v1/items?id=42, answered 200; pass --scenario for your own)',
          request: { headers: DEFAULT_REQUEST.headers },
          response: DEFAULT_REQUEST.response as ResponseSpec,
        },
      ],
    };
  } else {
    let scenarioText: string;
    try {
      scenarioText = await readFile(scenarioFile, 'utf8');
    } catch {
      throw new CliError(
        `run: cannot read scenario ${scenarioFile}; pass a YAML file with "requests:" (format: "meshwasm help run", or docs/run.md in the meshwasm package), or leave out --scenario to play a default request`,
        ExitCode.notFound,
      );
    }
    scenario = parseScenario(scenarioText, scenarioFile);
  }
  if (opts.inspectBrk !== undefined) bytes = await waitForDebugger(modulePath, bytes, opts.inspectBrk);
  let report: ScenarioReport;
  try {
    report = await runScenario(bytes, scenario, {
      config: readConfigArg(opts.config),
      vmConfig: readConfigArg(opts.vmConfig, '--vm-config'),
      rootId: opts.rootId || undefined,
      failStrategy: opts.failStrategy,
      label: modulePath,
      modulePath,
      envoyVersion: opts.envoyVersion,
      unlimited: opts.inspectBrk !== undefined,
    });
  } catch (err) {
    // A trap in on_vm_start/on_configure is a trap (exit 9), not a refused configuration (3).
    if (err instanceof ConfigureError && err.trap) {
      const guestLog = err.logs.map((l) => `  ${l.level}: ${l.message}`).join('\n');
      throw new CliError(
        `run: ${err.message}` +
          frameLines(err.trap.frames)
            .map((l) => `\n  ${l}`)
            .join('') +
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

/**
 * `--inspect-brk`: open V8's inspector, wait for a debugger (Chrome DevTools, VS Code), compile
 * the module so its .ts sources appear through the source map, and pause before it starts, so
 * breakpoints can be set in the filter's source. Node's own --inspect-brk would pause before the
 * module exists, where no .ts file can be chosen yet.
 */
async function waitForDebugger(modulePath: string, bytes: Uint8Array, where: string | true): Promise<Uint8Array> {
  const inspector = await import('node:inspector');
  const m = /^(?:(.*):)?(\d+)$/.exec(where === true ? '127.0.0.1:9229' : where);
  if (!m) throw new CliError(`run: --inspect-brk "${where}" is not [host:]port (e.g. 127.0.0.1:9229)`, ExitCode.usage);
  const prepared = withAbsoluteSourceMap(modulePath, bytes);
  if (!prepared.map)
    process.stderr.write(
      `run: no ${modulePath}.map beside the module: the debugger will show wasm, not .ts; build with "meshwasm build --target debug"\n`,
    );
  inspector.open(Number(m[2]), m[1] || '127.0.0.1', false);
  process.stderr.write(
    `run: debugger listening on ${inspector.url()}; attach Chrome DevTools (chrome://inspect) or VS Code ("Attach to Node Process"), set breakpoints in the filter's .ts files at the pause, then resume\n`,
  );
  inspector.waitForDebugger();
  // Compiled here (and kept alive) so the debugger has the module's script and source map at the pause.
  const compiled = await WebAssembly.compile(new Uint8Array(prepared.bytes));
  // biome-ignore lint/suspicious/noDebugger: the pause --inspect-brk promises, with the module loaded
  debugger;
  void compiled;
  return prepared.bytes;
}

function formatReport(report: ScenarioReport): string {
  const lines: string[] = [];
  for (const l of report.startup.logs) lines.push(`[start-up] ${l.level}: ${l.message}`);
  for (const r of report.requests) {
    lines.push(`== ${r.name}`);
    if (r.trap)
      lines.push(
        `  TRAP in ${r.trap.callback}${r.trap.function ? ` (${r.trap.function})` : ''}: ${r.trap.message} -> ${r.trap.policy}`,
        ...frameLines(r.trap.frames).map((l) => `    ${l}`),
      );
    for (const t of r.vmTraps)
      lines.push(
        `  VM TRAP in ${t.callback}${t.function ? ` (${t.function})` : ''} of plugin ${t.plugin}: ${t.message}${t.logged ? ` (the filter logged: ${t.logged})` : ''} -> the VM failed; later requests see the failure policy`,
        ...frameLines(t.frames).map((l) => `    ${l}`),
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
        `  http call -> ${c.cluster} ${header(c.headers, ':method')} ${header(c.headers, ':path')}: ${resp?.failure ?? resp?.status ?? 'no response'}`,
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
      lines.push(
        `  TRAP in ${c.trap.callback}${c.trap.function ? ` (${c.trap.function})` : ''}: ${c.trap.message}`,
        ...frameLines(c.trap.frames).map((l) => `    ${l}`),
      );
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

const header = (pairs: [string, string][], name: string): string => pairs.find(([k]) => k === name)?.[1] ?? '';
