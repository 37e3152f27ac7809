import * as net from 'node:net';
import type { LogLevelName } from '../host-sim/abi/constants.js';
import { Connection } from '../host-sim/connection.js';
import { HostError } from '../host-sim/errors.js';
import { Host, type LogEntry } from '../host-sim/host.js';
import type { Plugin } from '../host-sim/plugin.js';
import { ChainHolder, type Chain } from './chain.js';
import { ClockDriver } from './clock-driver.js';
import { realGrpcCluster } from './grpc-upstream.js';
import type { FilterSpec } from './filter-spec.js';
import { isWasmFilter } from './loaded-filter.js';
import type { ChainInfo } from './server.js';

export interface TcpProxyOptions {
  /** Where the proxy listens. Default 127.0.0.1, port 0 (the OS picks). */
  listenHost?: string;
  listenPort?: number;
  /** tcp://host:port every connection is forwarded to (Envoy's tcp_proxy cluster). */
  upstream: string;
  /** The network filter chain to start with; applyFilters replaces it. */
  filters?: FilterSpec[];
  /** Targets of proxy_http_call: cluster name -> base URL of a real HTTP server. */
  clusters?: Record<string, string>;
  logLevel?: LogLevelName;
  onLog?: (entry: LogEntry) => void;
  /** Called when a connection ends. */
  onConnection?: (entry: TcpConnectionEntry) => void;
}

/** One line of the connection log. */
export interface TcpConnectionEntry {
  id: number;
  source: string;
  bytesIn: number;
  bytesOut: number;
  closedBy: string;
  reason: string;
  chain: string;
}

export interface TcpProxyStats {
  connections: number;
  active: number;
  closedByFilter: number;
  failures: number;
  upstreamErrors: number;
  chainUpdates: number;
}

export interface RunningTcpProxy {
  /** tcp://127.0.0.1:PORT */
  readonly address: string;
  readonly port: number;
  readonly host: Host;
  readonly stats: TcpProxyStats;
  /** Makes `filters` the chain for new connections; open ones keep theirs until they close. */
  applyFilters(filters: FilterSpec[], version?: string): ChainInfo;
  chain(): ChainInfo;
  /** Stops accepting and closes open connections. */
  close(): Promise<void>;
}

function describe(c: Chain): ChainInfo {
  return { version: c.version, appliedAt: c.appliedAt.toISOString(), filters: c.filters.map((f) => f.describe()) };
}

/** Parses tcp://host:port; the error names the flag and the expected shape. */
export function parseTcpUpstream(value: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new HostError('invalid-input', `proxy: --upstream "${value}" is not a URL; pass e.g. tcp://127.0.0.1:5432`);
  }
  const port = Number(u.port);
  if (u.protocol !== 'tcp:' || !u.hostname || !Number.isInteger(port) || port <= 0) {
    throw new HostError(
      'invalid-input',
      `proxy: --upstream "${value}" is not tcp://host:port; with --tcp, pass e.g. --upstream tcp://127.0.0.1:5432`,
    );
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * The host simulator as a TCP proxy: Envoy's listener with a chain of network wasm filters
 * (envoy.filters.network.wasm) in front of tcp_proxy. Each accepted connection opens one to the
 * upstream; bytes go through host-sim's Connection, which plays the filters' callbacks in
 * Envoy's order. Half-closes are forwarded (allowHalfOpen), as tcp_proxy does.
 */
export async function startTcpProxy(opts: TcpProxyOptions): Promise<RunningTcpProxy> {
  const upstream = parseTcpUpstream(opts.upstream);
  const grpcClusters = Object.entries(opts.clusters ?? {}).map(([name, url]) => [name, realGrpcCluster(url)] as const);
  const host = new Host({
    clusters: opts.clusters,
    grpcClusters: Object.fromEntries(grpcClusters.map(([name, g]) => [name, { cluster: g.cluster }])),
    startTimeMs: Date.now(),
    captureLogs: false,
    onLog: opts.onLog,
  });
  const holder = new ChainHolder(host, opts.logLevel ?? 'info');
  const stats: TcpProxyStats = {
    connections: 0,
    active: 0,
    closedByFilter: 0,
    failures: 0,
    upstreamErrors: 0,
    chainUpdates: 0,
  };
  let version = 0;
  const apply = (filters: FilterSpec[], v?: string): ChainInfo => {
    const c = holder.apply(filters, v ?? `local-${++version}`);
    stats.chainUpdates++;
    return describe(c);
  };
  if (opts.filters) {
    try {
      apply(opts.filters);
    } catch (err) {
      throw new HostError('invalid-input', `proxy: ${(err as Error).message}`);
    }
  }
  const clock = new ClockDriver(host);
  clock.start();
  const sockets = new Set<net.Socket>();
  let nextId = 1;

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (down) => {
    clock.sync();
    const id = nextId++;
    const chain = holder.acquire();
    stats.connections++;
    stats.active++;
    sockets.add(down);
    const source = `${down.remoteAddress}:${down.remotePort}`;
    let bytesIn = 0;
    let bytesOut = 0;
    let refused = false;
    const plugins: Plugin[] = [];
    for (const f of chain.filters) {
      // An RBAC stand-in is an HTTP filter; on a TCP listener only wasm filters take part.
      if (!isWasmFilter(f)) continue;
      const p = f.livePlugin();
      if (p === 'skip') continue;
      if (p === 'fail-closed') refused = true;
      else plugins.push(p);
    }
    const up = net.connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true, noDelay: true });
    sockets.add(up);
    const conn = new Connection(
      plugins,
      {
        toUpstream(bytes, end) {
          if (bytes.length > 0) up.write(bytes);
          if (end) up.end();
        },
        toDownstream(bytes, end) {
          bytesOut += bytes.length;
          if (bytes.length > 0) down.write(bytes);
          if (end) down.end();
        },
        // Envoy's close(FlushWrite): what was written goes out, then both sockets close.
        close() {
          down.destroySoon();
          up.destroy();
        },
      },
      {
        properties: {
          source: { address: source, port: down.remotePort ?? 0 },
          destination: { address: `${down.localAddress}:${down.localPort}`, port: down.localPort ?? 0 },
          upstream: { address: `${upstream.host}:${upstream.port}`, port: upstream.port },
          connection: { id, mtls: false, requested_server_name: '' },
        },
      },
    );
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (!conn.closed) conn.clientClosed();
      const why = conn.closedBy!;
      if (why.by === 'filter') stats.closedByFilter++;
      if (why.by === 'failure') stats.failures++;
      stats.active--;
      sockets.delete(down);
      sockets.delete(up);
      up.destroy();
      holder.done(chain);
      opts.onConnection?.({
        id,
        source,
        bytesIn,
        bytesOut,
        closedBy: why.by,
        reason: why.reason,
        chain: chain.version,
      });
      void host.settle();
    };
    if (refused) {
      // Envoy's fail-closed network filter: the connection is closed as soon as it is accepted.
      conn.closeByProxy('a filter failed and fails closed');
      stats.failures++;
    } else {
      conn.open();
    }
    down.on('data', (chunk: Buffer) => {
      clock.sync();
      bytesIn += chunk.length;
      conn.downstreamData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    down.on('end', () => conn.downstreamData(new Uint8Array(0), true));
    up.on('data', (chunk: Buffer) => {
      clock.sync();
      conn.upstreamData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    up.on('end', () => conn.upstreamData(new Uint8Array(0), true));
    up.on('error', (err: NodeJS.ErrnoException) => {
      // Envoy's tcp_proxy closes the client when the upstream cannot be reached.
      stats.upstreamErrors++;
      conn.closeByProxy(`upstream ${upstream.host}:${upstream.port}: ${err.code ?? err.message}`);
      down.destroy();
    });
    down.on('error', () => {}); // a reset: 'close' follows and ends the connection
    down.on('close', finish);
  });

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
  const addr = server.address() as net.AddressInfo;

  let closing: Promise<void> | undefined;
  const close = async () => {
    clock.stop();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    for (const [, g] of grpcClusters) g.close();
    holder.clear();
  };

  return {
    address: `tcp://${addr.address}:${addr.port}`,
    port: addr.port,
    host,
    stats,
    applyFilters: apply,
    chain: () => describe(holder.current),
    close: () => (closing ??= close()),
  };
}
