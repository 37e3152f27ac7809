import type { LogLevelName } from '../../host-sim/abi/constants.js';
import { LOG_LEVELS } from '../../host-sim/abi/constants.js';
import { startTcpProxy, type FilterSpec, type TcpConnectionEntry } from '../../proxy/index.js';
import { CliError, ExitCode } from '../errors.js';
import type { ModuleArg } from '../module-args.js';
import type { OutputFormat } from '../output.js';

interface TcpCliOptions {
  tcp?: string;
  upstream: string;
  modules: ModuleArg[];
  xds?: string;
  nodeId: string;
  labels?: string[];
  namespace: string;
  cluster: string[];
  logLevel: LogLevelName;
  output: OutputFormat;
}

/** Helpers shared with the HTTP proxy command (passed in, so this file does not import it back). */
interface Shared {
  parseHostPort(value: string, flag: string): { host: string; port: number };
  parsePairs(values: string[], flag: string): Record<string, string>;
  loadModules(args: ModuleArg[]): Promise<FilterSpec[]>;
}

/**
 * `meshwasm proxy --tcp LISTEN --upstream tcp://HOST:PORT`: the --module filters as network
 * filters (envoy.filters.network.wasm) in front of a TCP upstream. Runs until SIGINT/SIGTERM.
 */
export async function tcpProxy(opts: TcpCliOptions, shared: Shared): Promise<void> {
  const listen = shared.parseHostPort(opts.tcp ?? '', '--tcp');
  if (opts.xds && opts.modules.length > 0) {
    throw new CliError(
      'proxy: pass either --module (local filters) or --xds (network filters from a control plane), not both',
      ExitCode.usage,
    );
  }
  if (!opts.upstream.startsWith('tcp://')) {
    throw new CliError(
      `proxy: with --tcp, --upstream must be tcp://host:port (got "${opts.upstream}"); pass e.g. --upstream tcp://127.0.0.1:5432`,
      ExitCode.invalidInput,
    );
  }
  const clusters = shared.parsePairs(opts.cluster, '--cluster');
  const labels = shared.parsePairs(opts.labels ?? [], '--labels');
  const filters = opts.xds ? [] : await shared.loadModules(opts.modules);
  const json = opts.output === 'json';
  const emit = (event: Record<string, unknown>, text: string, stream: NodeJS.WriteStream = process.stdout) => {
    if (json) process.stdout.write(JSON.stringify(event) + '\n');
    else stream.write(text + '\n');
  };
  const minLevel = LOG_LEVELS.indexOf(opts.logLevel);
  let p: Awaited<ReturnType<typeof startTcpProxy>>;
  try {
    p = await startTcpProxy({
      listenHost: listen.host,
      listenPort: listen.port,
      upstream: opts.upstream,
      filters,
      clusters,
      logLevel: opts.logLevel,
      onLog: (l) => {
        if (LOG_LEVELS.indexOf(l.level) < minLevel) return;
        emit(
          { event: 'log', filter: l.source, level: l.level, message: l.message },
          `[${l.source}] ${l.level}: ${l.message}`,
          process.stderr,
        );
      },
      onConnection: (e) => emit({ event: 'connection', ...e }, connectionLine(e)),
    });
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.invalidInput);
  }
  const chain = p.chain();
  emit(
    { event: 'listening', address: p.address, upstream: opts.upstream, chain },
    `meshwasm proxy listening on ${p.address} -> ${opts.upstream}\nchain: ${
      chain.filters.length === 0 ? '(no filters: bytes pass through)' : chain.filters.map((f) => f.name).join(' -> ')
    }`,
  );
  let stopXds: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      emit({ event: 'shutdown', signal }, `${signal}: closing connections`, process.stderr);
      stopXds?.();
      void p.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  if (opts.xds) {
    // WasmPlugins of type NETWORK (envoy.filters.network.wasm), hot-swapped as for HTTP.
    const { followXds } = await import('../../proxy/xds-source.js');
    stopXds = await followXds(p, {
      address: opts.xds,
      nodeId: opts.nodeId,
      labels,
      namespace: opts.namespace,
      chain: 'network',
      onChain: (c) =>
        emit({ event: 'chain', ...c }, `chain ${c.version}: ${c.filters.map((f) => f.name).join(' -> ') || '(none)'}`),
      onReject: (r) => emit({ event: 'nack', ...r }, `rejected update ${r.version}: ${r.message}`, process.stderr),
      onError: (message) => emit({ event: 'xds-error', message }, `xds: ${message}`, process.stderr),
    });
  }
  await stopped;
}

function connectionLine(e: TcpConnectionEntry): string {
  return `connection ${e.id} from ${e.source}: ${e.bytesIn} bytes in, ${e.bytesOut} bytes out, closed by ${e.closedBy} (${e.reason}) chain=${e.chain}`;
}
