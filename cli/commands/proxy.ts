import { readFile } from 'node:fs/promises';
import type { LogLevelName } from '../../host-sim/abi/constants.js';
import { LOG_LEVELS } from '../../host-sim/abi/constants.js';
import { startProxy, type AccessLogEntry, type FilterSpec, type RunningProxy } from '../../proxy/index.js';
import type { FailStrategy } from '../../host-sim/plugin.js';
import { readConfigArg } from '../config-arg.js';
import { defaultFilterName } from '../filter-name.js';
import { CliError, ExitCode } from '../errors.js';
import type { ModuleArg } from '../module-args.js';
import type { OutputFormat } from '../output.js';

interface ProxyCliOptions {
  upstream: string;
  listen: string;
  modules: ModuleArg[];
  xds?: string;
  nodeId: string;
  labels?: string[];
  namespace: string;
  cluster: string[];
  admin?: string;
  routeHeader?: string;
  timeout: string;
  logLevel: LogLevelName;
  output: OutputFormat;
}

function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m?.[1] || port > 65535)
    throw new CliError(
      `proxy: ${flag} "${value}" is not host:port; pass e.g. ${flag} 127.0.0.1:10000`,
      ExitCode.invalidInput,
    );
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function parsePairs(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0)
      throw new CliError(
        `proxy: ${flag} "${v}" is not name=value; pass e.g. ${flag} app=reviews`,
        ExitCode.invalidInput,
      );
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

async function loadModules(args: ModuleArg[]): Promise<FilterSpec[]> {
  const specs: FilterSpec[] = [];
  for (const m of args) {
    let module: Uint8Array;
    try {
      module = new Uint8Array(await readFile(m.file));
    } catch (err) {
      throw new CliError(
        `proxy: cannot read module ${m.file} (${(err as NodeJS.ErrnoException).code}); build one with "meshwasm build"`,
        ExitCode.notFound,
      );
    }
    specs.push({
      kind: 'wasm',
      name: m.name ?? defaultFilterName(m.file),
      module,
      configuration: readConfigArg(m.config) ?? '',
      rootId: m.rootId ?? '',
      failStrategy: (m.failStrategy as FailStrategy) ?? 'FAIL_CLOSE',
    });
  }
  return specs;
}

/** `meshwasm proxy`: runs until SIGINT/SIGTERM, then drains in-flight requests and exits. */
export async function proxy(opts: ProxyCliOptions): Promise<void> {
  const listen = parseHostPort(opts.listen, '--listen');
  if (opts.xds && opts.modules.length > 0) {
    throw new CliError(
      'proxy: pass either --module (local filters) or --xds (filters from a control plane), not both',
      ExitCode.usage,
    );
  }
  const clusters = parsePairs(opts.cluster, '--cluster');
  const labels = parsePairs(opts.labels ?? [], '--labels');
  const adminPort = opts.admin === undefined ? undefined : Number(opts.admin);
  if (adminPort !== undefined && !(Number.isInteger(adminPort) && adminPort >= 0 && adminPort <= 65535)) {
    throw new CliError(`proxy: --admin "${opts.admin}" is not a port number`, ExitCode.invalidInput);
  }
  const timeoutMs = Number(opts.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 0))
    throw new CliError(`proxy: --timeout "${opts.timeout}" is not a number of milliseconds`, ExitCode.invalidInput);
  const json = opts.output === 'json';
  const emit = (event: Record<string, unknown>, text: string, stream: NodeJS.WriteStream = process.stdout) => {
    if (json) process.stdout.write(JSON.stringify(event) + '\n');
    else stream.write(text + '\n');
  };
  const minLevel = LOG_LEVELS.indexOf(opts.logLevel);

  const filters = opts.xds ? undefined : await loadModules(opts.modules);
  const p: RunningProxy = await startProxy({
    listenHost: listen.host,
    listenPort: listen.port,
    upstream: opts.upstream,
    clusters,
    adminPort,
    filters,
    logLevel: opts.logLevel,
    routeHeader: opts.routeHeader,
    timeoutMs,
    initiallyReady: !opts.xds,
    onLog: (l) => {
      if (LOG_LEVELS.indexOf(l.level) < minLevel) return;
      emit(
        { event: 'log', filter: l.source, level: l.level, message: l.message },
        `[${l.source}] ${l.level}: ${l.message}`,
        process.stderr,
      );
    },
    onAccessLog: (e) => emit({ event: 'request', ...e }, accessLine(e)),
  });
  const chain = p.chain();
  emit(
    { event: 'listening', url: p.url, upstream: opts.upstream, admin: p.adminUrl ?? null, chain },
    `meshwasm proxy listening on ${p.url} -> ${opts.upstream}` +
      (p.adminUrl ? ` (admin ${p.adminUrl}/stats)` : '') +
      (opts.xds
        ? `\nwaiting for filters from ${opts.xds} as node "${opts.nodeId}"`
        : `\nchain: ${chainText(chain.filters)}`),
  );

  // Signals are handled from the start: loading Envoy's protos and connecting take a moment.
  let stopXds: (() => void) | undefined;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      stopping = true;
      emit({ event: 'shutdown', signal }, `${signal}: draining in-flight requests`, process.stderr);
      stopXds?.();
      void p.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  if (opts.xds) {
    const { followXds } = await import('../../proxy/xds-source.js');
    const stopFn = await followXds(p, {
      address: opts.xds,
      nodeId: opts.nodeId,
      labels,
      namespace: opts.namespace,
      onChain: (c) => emit({ event: 'chain', ...c }, `chain ${c.version}: ${chainText(c.filters)}`),
      onReject: (r) =>
        emit(
          { event: 'nack', ...r },
          `rejected update ${r.version}: ${r.message} (still serving ${p.chain().version})`,
          process.stderr,
        ),
      onError: (message) => emit({ event: 'xds-error', message }, `xds: ${message}`, process.stderr),
    });
    if (stopping) stopFn();
    else stopXds = stopFn;
  }

  await stopped;
}

function chainText(filters: Record<string, unknown>[]): string {
  if (filters.length === 0) return '(no filters: requests pass through)';
  return filters
    .map((f) =>
      f.kind === 'wasm' ? `${f.name} (sha256:${String(f.sha256).slice(0, 12)})` : `${f.name} (rbac ${f.action})`,
    )
    .join(' -> ');
}

function accessLine(e: AccessLogEntry): string {
  const status = e.reset ? 'reset' : String(e.status);
  const extra = [
    e.localReply ? `local reply: ${e.localReply}` : '',
    e.trap ? `trap in ${e.trap.filter} (${e.trap.policy}): ${e.trap.message}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const to = e.cluster === 'upstream' ? '' : ` -> ${e.cluster}`;
  return `${e.method} ${e.path} ${status}${to} ${e.durationMs}ms chain=${e.chain}${extra ? ` [${extra}]` : ''}`;
}
