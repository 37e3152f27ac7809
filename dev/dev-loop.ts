import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BuildTarget, buildProject } from '../builder/index.js';
import { parseScenario } from '../host-sim/scenario/scenario.js';
import { runScenario } from '../host-sim/scenario/run-scenario.js';
import { type RunningProxy, startProxy } from '../proxy/index.js';
import { swapIntoProxy } from './remote-swap.js';
import { runNpmScript } from './run-tests.js';
import { watchSources } from './watch-sources.js';

export interface DevOptions {
  /** The filter project (asconfig.json, assembly/). */
  dir: string;
  target?: BuildTarget;
  /** Plugin configuration; default: the project's config.json when there is one. */
  configuration?: string;
  /** A scenario to replay after each good build. */
  scenario?: string;
  /** With an upstream, run a proxy on `listen` and swap each good build into it. */
  upstream?: string;
  listenHost?: string;
  listenPort?: number;
  /**
   * Instead of `upstream`: the admin listener of a `meshwasm proxy --admin PORT --hot-swap` that
   * `dev` did not start; each good build is swapped into it (the filter named `filterName`).
   */
  proxyAdmin?: string;
  /** The filter to swap in that proxy; default the project's package name (as the proxy names it). */
  filterName?: string;
  /** Run `npm run <test>` after each good build; a failing run keeps the last good module serving. */
  test?: string;
  /** One report per cycle, the first one included. */
  onCycle: (report: CycleReport) => void;
}

/** What one cycle (build, then scenario and swap) did. */
export interface CycleReport {
  cycle: number;
  /** Files whose change started it; empty for the first build. */
  changed: string[];
  ok: boolean;
  /** Wall time from the change (or the start) to the end of the cycle. */
  ms: number;
  module?: string;
  sizeBytes?: number;
  /** The build's error (first lines of asc's diagnostics) when the cycle failed. */
  error?: string;
  /** The proxy's chain version after the swap; on a failed cycle, the one still serving. */
  proxyVersion?: string;
  /** The project's tests (`--test`), run after the build and before the swap. */
  test?: { script: string; ok: boolean; ms: number };
  scenario?: { requests: number; traps: number; statuses: (number | 'reset' | 'not reached')[] };
}

export interface RunningDev {
  proxyUrl: string | undefined;
  /** Resolves when the cycle in progress (if any) has reported. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds once, then after every change. A build that fails (exit 8 territory: compile errors, a
 * module the checks refuse) changes nothing: the builder writes no module then, and the proxy
 * keeps serving the last good one, so the author sees the error and traffic keeps flowing. With
 * `test`, failing tests stop the cycle the same way, before the swap.
 */
export async function startDev(opts: DevOptions): Promise<RunningDev> {
  const dir = path.resolve(opts.dir);
  let proxy: RunningProxy | undefined;
  /** The chain version the proxy given by --proxy-admin serves since our last swap. */
  let remoteVersion: string | undefined;
  const filterName = opts.filterName ?? packageName(dir);
  let cycle = 0;
  let running: Promise<void> = Promise.resolve();
  let again: string[] | null = null;

  const configuration = (): string | undefined => {
    if (opts.configuration !== undefined) return opts.configuration;
    const file = path.join(dir, 'config.json');
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };

  const once = async (changed: string[]): Promise<void> => {
    const started = performance.now();
    const report: CycleReport = { cycle: ++cycle, changed, ok: false, ms: 0 };
    try {
      const built = await buildProject({ dir, target: opts.target ?? 'release' });
      report.module = built.outFile;
      report.sizeBytes = built.sizeBytes;
      const bytes = new Uint8Array(await readFile(built.outFile));
      if (opts.test) {
        // Before the swap: a module that fails its own tests does not reach the proxy.
        const t = await runNpmScript(dir, opts.test);
        report.test = { script: opts.test, ok: t.ok, ms: t.ms };
        if (!t.ok) throw new Error(`tests failed ("npm run ${opts.test}"), not swapped in:\n${t.tail}`);
      }
      if (opts.proxyAdmin) {
        remoteVersion = await swapIntoProxy(opts.proxyAdmin, filterName, bytes, configuration());
        report.proxyVersion = remoteVersion;
      } else if (opts.upstream) {
        const filters = [{ kind: 'wasm' as const, name: filterName, module: bytes, configuration: configuration() }];
        if (!proxy) {
          proxy = await startProxy({
            upstream: opts.upstream,
            listenHost: opts.listenHost ?? '127.0.0.1',
            listenPort: opts.listenPort ?? 0,
            filters,
          });
        } else proxy.applyFilters(filters, `dev-${cycle}`);
        report.proxyVersion = proxy.chain().version;
      }
      if (opts.scenario) {
        const scenario = parseScenario(await readFile(opts.scenario, 'utf8'), opts.scenario);
        const cfg = configuration();
        const r = await runScenario(bytes, scenario, {
          ...(scenario.config === undefined && cfg !== undefined ? { config: cfg } : {}),
          label: built.outFile,
        });
        report.scenario = {
          requests: r.requests.length,
          traps: r.requests.filter((q) => q.trap).length,
          statuses: r.requests.map((q) => (q.downstream.reset ? 'reset' : q.downstream.status || 'not reached')),
        };
      }
      report.ok = !report.scenario || report.scenario.traps === 0;
    } catch (err) {
      report.error = (err as Error).message
        .split('\n')
        .slice(0, report.test && !report.test.ok ? 14 : 6)
        .join('\n');
      if (proxy) report.proxyVersion = proxy.chain().version;
      else if (remoteVersion) report.proxyVersion = remoteVersion;
    }
    report.ms = Math.round(performance.now() - started);
    opts.onCycle(report);
  };

  // One cycle at a time; changes during a cycle make exactly one more.
  const trigger = (changed: string[]) => {
    if (again) {
      again.push(...changed);
      return;
    }
    again = [...changed];
    running = running.then(async () => {
      const files = again ?? [];
      again = null;
      await once([...new Set(files)].sort());
    });
  };

  await once([]);
  const stop = watchSources(dir, trigger);
  return {
    get proxyUrl() {
      return proxy?.url;
    },
    idle: () => running,
    async close() {
      stop();
      await running;
      await proxy?.close();
    },
  };
}

/** The filter's name in the proxy: the project's package name, else its directory's. */
function packageName(dir: string): string {
  try {
    const name = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  } catch {
    // no package.json: fall through to the directory name
  }
  return path.basename(dir);
}
