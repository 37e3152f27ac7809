import { readFile } from 'node:fs/promises';
import type { LogLevelName } from '../../host-sim/abi/constants.js';
import { LOG_LEVELS } from '../../host-sim/abi/constants.js';
import {
  startProxy,
  type AccessLogEntry,
  type FilterSpec,
  type TrapEvent,
  type RunningProxy,
} from '../../proxy/index.js';
import type { FailStrategy } from '../../host-sim/plugin.js';
import type { PathNormalization } from '../../proxy/path-normalization.js';
import { readConfigArg } from '../config-arg.js';
import { defaultFilterName } from '../filter-name.js';
import { CliError, ExitCode } from '../errors.js';
import type { ModuleArg } from '../module-args.js';
import type { OutputFormat } from '../output.js';
import { createLogger, type LogFormat } from '../../logging/logger.js';

interface ProxyCliOptions {
  upstream: string;
  listen: string;
  /** host:port of a TCP listener: network filters in front of a tcp:// upstream. */
  tcp?: string;
  modules: ModuleArg[];
  xds?: string;
  nodeId: string;
  labels?: string[];
  namespace: string;
  cluster: string[];
  admin?: string;
  hotSwap?: boolean;
  routeHeader?: string;
  timeout: string;
  pathNormalization: PathNormalization;
  bufferLimit: string;
  callbackDeadline: string;
  maxHeadersCount: string;
  streamIdleTimeout: string;
  requestTimeout: string;
  maxConnections: string;
  maxPendingRequests: string;
  startDeadline: string;
  memoryLimit: string;
  logLevel: LogLevelName;
  logFormat?: LogFormat;
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
      modulePath: m.file,
      configuration: readConfigArg(m.config) ?? '',
      rootId: m.rootId ?? '',
      failStrategy: (m.failStrategy as FailStrategy) ?? 'FAIL_CLOSE',
    });
  }
  return specs;
}

function positive(value: string, flag: string, unit: string, example: number): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0))
    throw new CliError(
      `proxy: ${flag} "${value}" is not a whole number of ${unit}; pass e.g. ${flag} ${example}`,
      ExitCode.invalidInput,
    );
  return n;
}

function atLeastZero(value: string, flag: string, example: number): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 0))
    throw new CliError(
      `proxy: ${flag} "${value}" is not a whole number >= 0; pass e.g. ${flag} ${example}`,
      ExitCode.invalidInput,
    );
  return n;
}

/** `meshwasm proxy`: runs until SIGINT/SIGTERM, then drains in-flight requests and exits. */
export async function proxy(opts: ProxyCliOptions): Promise<void> {
  if (opts.tcp !== undefined) {
    const { tcpProxy } = await import('./proxy-tcp.js');
    return tcpProxy(opts, { parseHostPort, parsePairs, loadModules });
  }
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
  if (opts.hotSwap && adminPort === undefined)
    throw new CliError(
      'proxy: --hot-swap needs --admin PORT (the swap is a PUT on the admin listener)',
      ExitCode.usage,
    );
  const timeoutMs = Number(opts.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 0))
    throw new CliError(`proxy: --timeout "${opts.timeout}" is not a number of milliseconds`, ExitCode.invalidInput);
  const bufferLimitBytes = positive(opts.bufferLimit, '--buffer-limit', 'bytes', 1048576);
  const maxHeadersCount = positive(opts.maxHeadersCount, '--max-headers-count', 'headers', 100);
  const timeouts = {
    streamIdleTimeoutMs: atLeastZero(opts.streamIdleTimeout, '--stream-idle-timeout', 300000),
    requestTimeoutMs: atLeastZero(opts.requestTimeout, '--request-timeout', 30000),
  };
  const circuitBreakers = {
    maxConnections: positive(opts.maxConnections, '--max-connections', 'connections', 1024),
    maxPendingRequests: atLeastZero(opts.maxPendingRequests, '--max-pending-requests', 1024),
  };
  const limits = {
    callbackDeadlineMs: positive(opts.callbackDeadline, '--callback-deadline', 'milliseconds', 100),
    startDeadlineMs: positive(opts.startDeadline, '--start-deadline', 'milliseconds', 1000),
    memoryLimitBytes: positive(opts.memoryLimit, '--memory-limit', 'bytes', 268435456),
  };
  const json = opts.output === 'json';
  const emit = (event: Record<string, unknown>, text: string, stream: NodeJS.WriteStream = process.stdout) => {
    if (json) process.stdout.write(JSON.stringify(event) + '\n');
    else stream.write(text + '\n');
  };
  const minLevel = LOG_LEVELS.indexOf(opts.logLevel);
  // Events that change what the proxy runs (chain applied, update rejected, shutdown) are log
  // lines: with -o json they join the JSON event stream on stdout, else human lines on stderr.
  const log = createLogger({
    format: opts.logFormat ?? (json ? 'json' : 'text'),
    level: opts.logLevel === 'critical' ? 'fatal' : opts.logLevel,
    destination: json ? process.stdout : process.stderr,
    base: json ? undefined : { component: 'proxy' },
  });

  // A trap fails the filter's VM: what runs changes (503s, skipped filter, or a reload). Traps in
  // a request and in proxy_on_tick make the same log line, with the frames when there are any.
  const vmFailed = (t: TrapEvent) =>
    log.warn(
      {
        event: 'vm.failed',
        filter: t.filter,
        callback: t.callback,
        policy: t.policy,
        reason: t.message,
        ...(t.stack ? { stack: t.stack } : {}),
      },
      `filter ${t.filter} trapped in ${t.callback ?? 'a callback'}: ${t.message}; its VM failed (${t.policy})` +
        (t.stack ?? []).map((l) => `\n    ${l}`).join(''),
    );

  const filters = opts.xds ? undefined : await loadModules(opts.modules);
  const p: RunningProxy = await startProxy({
    listenHost: listen.host,
    listenPort: listen.port,
    upstream: opts.upstream,
    clusters,
    adminPort,
    adminHotSwap: opts.hotSwap === true,
    filters,
    logLevel: opts.logLevel,
    routeHeader: opts.routeHeader,
    timeoutMs,
    pathNormalization: opts.pathNormalization,
    bufferLimitBytes,
    limits,
    maxHeadersCount,
    timeouts,
    circuitBreakers,
    initiallyReady: !opts.xds,
    workload: { name: opts.nodeId, namespace: opts.namespace },
    onEvent: (message) => emit({ event: 'proxy', message }, `[proxy] ${message}`, process.stderr),
    onLog: (l) => {
      if (LOG_LEVELS.indexOf(l.level) < minLevel) return;
      emit(
        { event: 'log', filter: l.source, level: l.level, message: l.message },
        `[${l.source}] ${l.level}: ${l.message}`,
        process.stderr,
      );
    },
    onAccessLog: (e) => {
      emit({ event: 'request', ...e }, accessLine(e));
      if (e.trap) vmFailed(e.trap);
    },
    onTickTrap: vmFailed,
  });
  // Signals are handled from the start: loading Envoy's protos and connecting take a moment.
  let stopXds: (() => void) | undefined;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      stopping = true;
      log.info({ event: 'shutdown', signal }, `${signal}: draining in-flight requests`);
      stopXds?.();
      void p.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
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

  if (opts.xds) {
    const { followXds } = await import('../../proxy/xds-source.js');
    const stopFn = await followXds(p, {
      address: opts.xds,
      nodeId: opts.nodeId,
      labels,
      namespace: opts.namespace,
      onChain: (c) => log.info({ event: 'chain', ...c }, `chain ${c.version}: ${chainText(c.filters)}`),
      onReject: (r) =>
        log.warn(
          { event: 'nack', ...r, serving: p.chain().version },
          `rejected update ${r.version}: ${r.message} (still serving ${p.chain().version})`,
        ),
      onError: (message) => log.error({ event: 'xds-error', message }, `xds: ${message}`),
      onDisconnect: (d) =>
        log.warn(
          { event: 'xds-disconnected', ...d },
          `xds: lost ${opts.xds} (${d.reason}); still serving ${p.chain().version}, reconnecting in ${d.retryInMs} ms`,
        ),
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
