import { constants, existsSync } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { runBenchmark, type BenchReport } from '../../bench/engine.js';
import { renderHtml } from '../../bench/html-report.js';
import { formatTable } from '../../bench/table.js';
import type { ClusterTarget } from '../../host-sim/http-upstream.js';
import { encodeConfig } from '../../host-sim/harness/index.js';
import { parseScenario, type Scenario } from '../../host-sim/scenario/scenario.js';
import { readConfigArg } from '../config-arg.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, progress, type OutputFormat } from '../output.js';

interface BenchCliOptions {
  config?: string;
  vmConfig?: string;
  rootId?: string;
  scenario?: string;
  duration?: string;
  requests?: string;
  runs: string;
  warmup: string;
  html?: string;
  proxy?: boolean;
  connections: string;
  proxyDuration: string;
  metered?: boolean;
  compare?: boolean;
  maxRegression?: string;
  maxUnitsRegression?: string;
  clock?: 'cpu' | 'wall';
  output: OutputFormat;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`bench: ${flag} must be a whole number above 0, got "${value}"`, ExitCode.usage);
  return n;
}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0))
    throw new CliError(`bench: ${flag} must be a number of seconds above 0, got "${value}"`, ExitCode.usage);
  return n;
}

async function checkWritable(file: string): Promise<void> {
  const target = existsSync(file) ? file : dirname(resolve(file));
  try {
    await access(target, constants.W_OK);
  } catch (err) {
    throw new CliError(
      `bench: cannot write the --html report ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message} on ${target}); nothing was measured. Pick a writable path`,
      ExitCode.invalidInput,
    );
  }
}

async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliError(
      `bench: cannot read scenario ${path}; pass a YAML file with "requests:" (the format of "meshwasm run", see docs/run.md)`,
      ExitCode.notFound,
    );
  }
  return parseScenario(text, path);
}

/** What a scenario and the flags give every module of a run: config, requests, clusters. */
function scenarioSetup(scenario: Scenario | undefined, opts: BenchCliOptions) {
  const clusters: Record<string, ClusterTarget> = {};
  for (const [name, answer] of Object.entries(scenario?.clusters ?? {})) {
    if (typeof answer === 'object' && answer !== null && 'url' in answer) {
      throw new CliError(
        `bench: cluster "${name}" in ${opts.scenario} points at a real upstream (${answer.url}); ` +
          'in-process benchmarks need static answers (status/headers/body), or use --proxy',
        ExitCode.invalidInput,
      );
    }
    clusters[name] = () => answer as never;
  }
  // --config on the command line wins over the scenario's config, as in "meshwasm run".
  const config = readConfigArg(opts.config) ?? scenario?.config;
  const vmConfig = readConfigArg(opts.vmConfig, '--vm-config') ?? scenario?.vmConfig;
  return {
    configuration: encodeConfig(config),
    vmConfig: encodeConfig(vmConfig),
    rootId: opts.rootId || scenario?.rootId,
    requests: scenario?.requests.map((r) => ({ ...r.request, response: r.response ?? r.request.response })),
    clusters,
    properties: scenario?.properties,
  };
}

export async function bench(modulePath: string, other: string | undefined, opts: BenchCliOptions): Promise<void> {
  if (opts.compare && other === undefined) {
    throw new CliError('bench: --compare takes two modules: meshwasm bench --compare A.wasm B.wasm', ExitCode.usage);
  }
  if (!opts.compare && other !== undefined) {
    throw new CliError(
      `bench: one module at a time; to compare ${modulePath} with ${other}, add --compare`,
      ExitCode.usage,
    );
  }
  if (
    !opts.compare &&
    (opts.maxRegression !== undefined || opts.maxUnitsRegression !== undefined || opts.clock !== undefined)
  ) {
    throw new CliError(
      'bench: --max-regression, --max-units-regression and --clock need --compare A.wasm B.wasm',
      ExitCode.usage,
    );
  }
  if (opts.compare && (opts.html || opts.proxy)) {
    throw new CliError(
      `bench: --compare does not take ${opts.html ? '--html' : '--proxy'}; run "meshwasm bench" on each module for those`,
      ExitCode.usage,
    );
  }
  if (opts.duration !== undefined && opts.requests !== undefined) {
    throw new CliError('bench: pass either --duration or --requests, not both', ExitCode.usage);
  }
  // Minutes of measuring must not end in "cannot write": check the report's place first.
  if (opts.html) await checkWritable(opts.html);
  // Flags first, so a typo is reported before any file is read.
  const numbers = {
    runs: positiveInt(opts.runs, '--runs'),
    requestsPerRun: positiveInt(opts.requests, '--requests'),
    durationSec: positiveNumber(opts.duration, '--duration'),
    warmupRequests: positiveInt(opts.warmup, '--warmup'),
    connections: positiveInt(opts.connections, '--connections')!,
    proxyDuration: positiveNumber(opts.proxyDuration, '--proxy-duration')!,
  };
  if (opts.compare && other !== undefined) {
    const { benchCompare, parsePercent } = await import('./bench-compare.js');
    const thresholds = {
      maxRegressionPct: parsePercent(opts.maxRegression, '--max-regression'),
      maxUnitsRegressionPct: parsePercent(opts.maxUnitsRegression, '--max-units-regression'),
    };
    const scenario = opts.scenario ? await loadScenario(opts.scenario) : undefined;
    return benchCompare({
      pathA: modulePath,
      pathB: other,
      ...scenarioSetup(scenario, opts),
      ...thresholds,
      runs: numbers.runs,
      requestsPerRun: numbers.requestsPerRun,
      durationSec: numbers.durationSec,
      warmupRequests: numbers.warmupRequests,
      metered: opts.metered === true,
      clock: opts.clock,
      output: opts.output,
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(modulePath));
  } catch {
    throw new CliError(`bench: cannot read module ${modulePath}; build one with "meshwasm build"`, ExitCode.notFound);
  }
  const scenario = opts.scenario ? await loadScenario(opts.scenario) : undefined;
  const { configuration, vmConfig, rootId, requests, clusters, properties } = scenarioSetup(scenario, opts);

  const report: BenchReport = await runBenchmark({
    module: bytes,
    label: modulePath,
    configuration,
    vmConfig,
    rootId,
    requests,
    clusters,
    properties,
    runs: numbers.runs,
    requestsPerRun: numbers.requestsPerRun,
    durationSec: numbers.durationSec,
    warmupRequests: numbers.warmupRequests,
    metered: opts.metered === true,
    onProgress: (m) => progress(`bench: ${m}`),
  });

  if (opts.proxy) {
    const { runProxyLoad } = await import('../../bench/proxy-load.js');
    report.proxy = await runProxyLoad({
      module: bytes,
      label: modulePath,
      configuration,
      rootId,
      request: scenario?.requests[0]?.request,
      connections: numbers.connections,
      durationSec: numbers.proxyDuration,
      onProgress: (m) => progress(`bench: ${m}`),
    });
  }

  if (opts.html) {
    try {
      await writeFile(opts.html, renderHtml(report));
    } catch (err) {
      throw new CliError(
        `bench: cannot write ${opts.html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        ExitCode.invalidInput,
      );
    }
    progress(`bench: wrote ${opts.html}`);
  }
  printResult(opts.output, report, () => formatTable(report));
  // A module whose memory keeps growing fails the check, so CI can gate on it. (Thrown, not set
  // on process.exitCode: main.ts sets the exit code from what the action returns or throws.)
  const m = report.filter.memory;
  if (m.leak) {
    throw new CliError(
      `bench: linear memory of ${modulePath} kept growing (${m.afterWarmupBytes} -> ${m.finalBytes} bytes, ` +
        `${m.growthBytesPer100k} bytes per 100k requests); the filter keeps something per request. ` +
        'Check that it frees what it allocates (AssemblyScript: build with a collecting runtime, not "stub")',
      ExitCode.checkFailed,
    );
  }
}
