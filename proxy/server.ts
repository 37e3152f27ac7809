import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogLevelName } from '../host-sim/abi/constants.js';
import { frameLines, HostError } from '../host-sim/errors.js';
import { loadMeter } from '../host-sim/module/meter.js';
import type { VmLimitOptions } from '../host-sim/vm-limits.js';
import { DEFAULT_BUFFER_LIMIT_BYTES } from '../host-sim/filter-manager.js';
import { Host, type LogEntry } from '../host-sim/host.js';
import { startAdmin } from './admin-server.js';
import { parseSwapBody, SwapRefused, swappedChain } from './module-swap.js';
import { ChainHolder, type Chain } from './chain.js';
import { ClockDriver } from './clock-driver.js';
import { realGrpcCluster } from './grpc-upstream.js';
import type { FilterSpec } from './filter-spec.js';
import { proxyStream } from './proxy-stream.js';
import { ProxyMetrics } from './metrics.js';
import { DEFAULT_PATH_NORMALIZATION, type PathNormalization } from './path-normalization.js';
import { CircuitBreakers, type CircuitBreakerLimits } from './circuit-breaker.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STREAM_IDLE_TIMEOUT_MS, type StreamTimeouts } from './stream-timers.js';
import { ProxyStats, type AccessLogEntry, type TickTrap } from './stats.js';

export interface ProxyOptions {
  /** Where the proxy listens. Default 127.0.0.1, port 0 (the OS picks). */
  listenHost?: string;
  listenPort?: number;
  /** Base URL of the upstream every request goes to (http://host:port[/prefix]). */
  upstream: string;
  /** The chain to start with (local modules). An xDS source replaces it with applyFilters. */
  filters?: FilterSpec[];
  /** Targets of proxy_http_call: cluster name -> base URL of a real HTTP server. */
  clusters?: Record<string, string>;
  /**
   * Envoy's cluster_header routing: when a request (after the filters) carries this header, it
   * goes to the --cluster it names instead of --upstream; an unknown name answers 503.
   */
  routeHeader?: string;
  /** Envoy's route timeout: how long the upstream may take to answer a complete request. Default 15 s, 0: none. */
  timeoutMs?: number;
  /**
   * Istio's meshConfig.pathNormalization: what the proxy does to :path before the filters see it.
   * Default BASE (RFC 3986 dot segments and percent-encoded unreserved characters).
   */
  pathNormalization?: PathNormalization;
  /**
   * Most body bytes one filter may buffer per direction; past it 413 (request) or 500 (response),
   * as Envoy. Default 1 MiB (Envoy's per_connection_buffer_limit_bytes default).
   */
  bufferLimitBytes?: number;
  /**
   * Per-VM execution deadlines and memory limit (host-sim/vm-limits.ts). Default: on, with the
   * defaults there (1 s start-up, 100 ms per callback, 256 MiB).
   */
  limits?: VmLimitOptions;
  /** Envoy's max_headers_count: a request with more headers is answered 431. Default 100. */
  maxHeadersCount?: number;
  /** Envoy's stream_idle_timeout (default 300000 ms) and request_timeout (default 0: off). */
  timeouts?: StreamTimeouts;
  /** Envoy's per-cluster circuit breakers (defaults 1024 connections, 1024 pending requests). */
  circuitBreakers?: CircuitBreakerLimits;
  /** Admin listener (/stats, /ready) port; undefined: none, 0: the OS picks. */
  adminPort?: number;
  /**
   * Lets the admin listener take PUT /filters/NAME/module (module-swap.ts): `meshwasm dev
   * --proxy-admin` swaps each good build in that way. Off by default: the listener is read-only.
   */
  adminHotSwap?: boolean;
  /** Log level filters see from proxy_get_log_level. Default info. */
  logLevel?: LogLevelName;
  /** Called for every log line a filter writes. */
  onLog?: (entry: LogEntry) => void;
  /** Called with what the proxy itself refused or caught (invalid filter output, timer errors). */
  onEvent?: (message: string) => void;
  /**
   * Called when a filter traps in proxy_on_tick, outside any request (once per VM), with the
   * same fields as an access-log entry's trap. Without it, the trap goes to onEvent as text.
   */
  onTickTrap?: (trap: TickTrap) => void;
  /** Called when a request ends. */
  onAccessLog?: (entry: AccessLogEntry) => void;
  /** False until the first chain arrives (xDS); /ready answers 503 meanwhile. Default true. */
  initiallyReady?: boolean;
  /** Workload identity for istio_requests_total's destination_* labels (the xDS node id, namespace). */
  workload?: { name: string; namespace: string };
  /** How long close() waits for in-flight requests before cutting them. Default 10 s. */
  drainTimeoutMs?: number;
}

/** Envoy's default max_headers_count (HttpProtocolOptions). */
export const DEFAULT_MAX_HEADERS_COUNT = 100;

export interface ChainInfo {
  version: string;
  appliedAt: string;
  filters: Record<string, unknown>[];
}

export interface RunningProxy {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:PORT of the admin listener, when one was asked for. */
  readonly adminUrl: string | undefined;
  readonly host: Host;
  readonly stats: ProxyStats;
  /** Prometheus metrics, served on the admin listener's /metrics. */
  readonly metrics: ProxyMetrics;
  /**
   * Makes `filters` the chain for new requests; in-flight requests finish on the chain they
   * started on. Throws (keeping the current chain) when a filter fails to load or configure.
   */
  applyFilters(filters: FilterSpec[], version?: string): ChainInfo;
  /** Records an update that was refused upstream of the chain (e.g. an xDS NACK). */
  noteRejected(version: string, message: string): void;
  chain(): ChainInfo;
  snapshot(): Record<string, unknown>;
  /** Stops accepting, lets in-flight requests finish (up to drainTimeoutMs), then closes. */
  close(): Promise<void>;
}

function describe(c: Chain): ChainInfo {
  return { version: c.version, appliedAt: c.appliedAt.toISOString(), filters: c.filters.map((f) => f.describe()) };
}

/** Starts the host simulator as a real HTTP/1.1 proxy on 127.0.0.1. */
export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  let upstream: URL;
  try {
    upstream = new URL(opts.upstream);
  } catch {
    throw new HostError(
      'invalid-input',
      `proxy: --upstream "${opts.upstream}" is not a URL; pass e.g. http://127.0.0.1:8080`,
    );
  }
  if (upstream.protocol !== 'http:') {
    throw new HostError(
      'invalid-input',
      `proxy: --upstream "${opts.upstream}" uses ${upstream.protocol}; only http:// upstreams are supported`,
    );
  }
  const clusters: Record<string, string> = {};
  for (const [name, url] of Object.entries(opts.clusters ?? {})) {
    try {
      if (new URL(url).protocol !== 'http:') throw new Error();
    } catch {
      throw new HostError(
        'invalid-input',
        `proxy: cluster "${name}" has URL "${url}"; pass --cluster ${name}=http://host:port`,
      );
    }
    clusters[name] = url;
  }

  // Metering needs binaryen loaded before the first module is (VM loading is synchronous).
  await loadMeter();
  const stats = new ProxyStats();
  const report = (message: string) => opts.onEvent?.(message);
  // Each --cluster also takes gRPC callouts, over HTTP/2 to the same address.
  const grpcClusters = Object.entries(clusters).map(([name, url]) => [name, realGrpcCluster(url)] as const);
  const host = new Host({
    clusters,
    grpcClusters: Object.fromEntries(grpcClusters.map(([name, g]) => [name, { cluster: g.cluster }])),
    startTimeMs: Date.now(),
    captureLogs: false,
    onLog: opts.onLog,
    vmLimits: opts.limits ?? {},
    // Work posted to the next turn (callout responses, queue notifications) that throws.
    onError: (err) => {
      stats.internalErrors++;
      report(`internal error in a callout or queue delivery: ${(err as Error).message}`);
    },
  });
  const holder = new ChainHolder(host, opts.logLevel ?? 'info');
  const metrics = new ProxyMetrics(host, stats, {
    upstream,
    workload: opts.workload?.name,
    namespace: opts.workload?.namespace,
  });
  let ready = opts.initiallyReady ?? true;
  let draining = false;
  let version = 0;
  const apply = (filters: FilterSpec[], v?: string): ChainInfo => {
    const c = holder.apply(filters, v ?? `local-${++version}`);
    stats.chainUpdates++;
    ready = true;
    return describe(c);
  };
  if (opts.filters) {
    try {
      apply(opts.filters);
    } catch (err) {
      throw new HostError('invalid-input', `proxy: ${(err as Error).message}`);
    }
  }

  const clock = new ClockDriver(host, {
    onTickTrap: (plugin, trap, failStrategy) => {
      stats.tickTraps++;
      stats.traps++;
      const event: TickTrap = {
        filter: plugin,
        policy: failStrategy,
        message: trap.message,
        callback: 'proxy_on_tick',
        ...(trap.frames ? { stack: frameLines(trap.frames) } : {}),
      };
      if (opts.onTickTrap) opts.onTickTrap(event);
      else
        report(
          `filter "${plugin}" trapped in proxy_on_tick: ${trap.message}; its failure policy (${failStrategy}) now applies` +
            (event.stack ?? []).map((l) => `\n    ${l}`).join(''),
        );
    },
    onError: (err) => {
      stats.internalErrors++;
      report(`internal error while running timers: ${(err as Error).message}`);
    },
  });
  clock.start();
  // No Nagle on either side: a proxy writes headers and body separately, and Nagle plus delayed
  // ACKs would hold the second write ~40 ms.
  const breakers = new CircuitBreakers(opts.circuitBreakers);
  // One socket per request in flight (HTTP/1.1), up to the cluster's connection cap; the agent
  // queues the pending ones, which the breakers cap.
  const agent = new http.Agent({
    keepAlive: true,
    noDelay: true,
    maxSockets: breakers.maxConnections,
  } as http.AgentOptions);
  const env = {
    upstream,
    agent,
    stats,
    routeHeader: opts.routeHeader?.toLowerCase(),
    timeoutMs: opts.timeoutMs ?? 15_000,
    clusters: new Map(Object.entries(clusters).map(([k, v]) => [k, new URL(v)])),
    report,
    pathNormalization: opts.pathNormalization ?? DEFAULT_PATH_NORMALIZATION,
    bufferLimitBytes: opts.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT_BYTES,
    breakers,
    streamIdleTimeoutMs: opts.timeouts?.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    requestTimeoutMs: opts.timeouts?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
  const maxHeaders = opts.maxHeadersCount ?? DEFAULT_MAX_HEADERS_COUNT;
  const server = http.createServer({ noDelay: true }, (req, res) => {
    // Envoy's HTTP/1 codec refuses a request with more than max_headers_count headers (431,
    // http1.too_many_headers) and closes the connection; node would drop those past its own cap.
    if (req.rawHeaders.length / 2 > maxHeaders) {
      stats.requests++;
      stats.tooManyHeaders++;
      stats.countResponse(431);
      req.resume();
      res.shouldKeepAlive = false;
      res.writeHead(431, { 'content-type': 'text/plain', 'content-length': 31 });
      res.end('Request Header Fields Too Large');
      return;
    }
    clock.sync();
    const chain = holder.acquire();
    stats.requests++;
    stats.active++;
    // While draining, a finished request's connection is not reused: it closes once idle.
    if (draining) res.shouldKeepAlive = false;
    proxyStream(env, chain, req, res, (entry) => {
      stats.active--;
      holder.done(chain);
      metrics.onRequest(entry);
      opts.onAccessLog?.(entry);
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  // Keep one header more than the limit, so a request past it is seen (and refused) whole.
  server.maxHeadersCount = maxHeaders + 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new HostError(
          'invalid-input',
          `proxy: cannot listen on ${opts.listenHost ?? '127.0.0.1'}:${opts.listenPort ?? 0}: ${err.code ?? err.message}`,
        ),
      );
    });
    server.listen(opts.listenPort ?? 0, opts.listenHost ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;

  const snapshot = () => ({
    listener: `http://${addr.address}:${addr.port}`,
    upstream: upstream.toString(),
    ready,
    chain: describe(holder.current),
    proxy: { ...stats, responses: { ...stats.responses } },
    // Filter-defined metrics, by the names the filters gave them (Envoy shows them as wasmcustom.<name>).
    metrics: Object.fromEntries(host.metrics.all().map((m) => [m.name, m.value])),
  });

  let swaps = 0;
  const swapHandler = (name: string, body: Buffer, contentType: string | undefined) => {
    try {
      const { module, configuration } = parseSwapBody(body, contentType);
      const specs = swappedChain(holder.current.filters, name, module, configuration);
      let chain: ChainInfo;
      try {
        chain = apply(specs, `swap-${++swaps}`);
      } catch (err) {
        // The chain in place keeps serving, as after an xDS NACK.
        throw new SwapRefused(400, `${(err as Error).message}; still serving ${holder.current.version}`);
      }
      report(`filter "${name}" swapped through the admin listener: chain ${chain.version}`);
      return { status: 200, body: { filter: name, version: chain.version, chain } };
    } catch (err) {
      if (err instanceof SwapRefused) return { status: err.status, body: { error: err.message } };
      throw err;
    }
  };
  let admin: { server: http.Server; url: string } | undefined;
  if (opts.adminPort !== undefined) {
    try {
      admin = await startAdmin(opts.listenHost ?? '127.0.0.1', opts.adminPort, {
        stats: snapshot,
        ready: () => (ready ? { ready } : { ready, reason: 'no filter chain received yet' }),
        prometheus: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
        ...(opts.adminHotSwap ? { swap: swapHandler } : {}),
      });
    } catch (err) {
      server.close();
      throw new HostError(
        'invalid-input',
        `proxy: cannot start the admin listener on port ${opts.adminPort}: ${(err as Error).message}`,
      );
    }
  }

  let closing: Promise<void> | undefined;
  const close = async () => {
    draining = true;
    clock.stop();
    admin?.server.close();
    admin?.server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // In-flight requests get drainTimeoutMs to finish; then their connections are cut.
      const t = setTimeout(() => server.closeAllConnections(), opts.drainTimeoutMs ?? 10_000);
      t.unref();
      server.once('close', () => clearTimeout(t));
    });
    agent.destroy();
    for (const [, g] of grpcClusters) g.close();
    holder.clear();
  };

  return {
    url: `http://${addr.address}:${addr.port}`,
    port: addr.port,
    adminUrl: admin?.url,
    host,
    stats,
    metrics,
    applyFilters: apply,
    noteRejected(v, message) {
      stats.chainRejections++;
      stats.lastRejection = { version: v, message, at: new Date().toISOString() };
    },
    chain: () => describe(holder.current),
    snapshot,
    close: () => (closing ??= close()),
  };
}
