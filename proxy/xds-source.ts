import type { BackoffOptions } from './xds-backoff.js';
import { connectXds, type XdsFilter } from './xds-client.js';
import type { FilterSpec } from './filter-spec.js';
import type { ChainInfo } from './server.js';

/** What following xDS needs of a proxy: the HTTP one (server.ts) or the TCP one (tcp-server.ts). */
export interface XdsTarget {
  applyFilters(filters: FilterSpec[], version?: string): ChainInfo;
  noteRejected?(version: string, message: string): void;
}

export interface FollowXdsOptions {
  /** host:port of the ECDS server. */
  address: string;
  nodeId: string;
  labels?: Record<string, string>;
  namespace?: string;
  onChain?: (chain: ChainInfo) => void;
  onReject?: (r: { version: string; message: string }) => void;
  onError?: (message: string) => void;
  /** Called when the stream to the control plane breaks; the proxy keeps its chain and reconnects. */
  onDisconnect?: (d: { reason: string; retryInMs: number }) => void;
  /** Reconnect backoff (default: jittered, 500 ms doubling to 30 s). */
  reconnect?: BackoffOptions;
  /** 'network' for the TCP proxy: it takes envoy.filters.network.wasm resources. Default 'http'. */
  chain?: 'http' | 'network';
}

function toSpec(f: XdsFilter): FilterSpec {
  if (f.kind === 'rbac') return { kind: 'rbac', name: f.name, action: f.action };
  return {
    kind: 'wasm',
    name: f.name,
    module: f.module,
    configuration: f.configuration,
    rootId: f.rootId,
    vmId: f.vmId,
    env: f.env,
    sha256: f.sha256,
    failStrategy: f.failOpen ? 'FAIL_OPEN' : 'FAIL_CLOSE',
  };
}

/**
 * Feeds a running proxy from an ECDS subscription. Each update becomes the new chain before it
 * is ACKed; one whose module cannot be fetched, does not match its sha256, or fails to load or
 * configure is NACKed and the proxy keeps serving the chain it has. Returns a stop function.
 */
export async function followXds(proxy: XdsTarget, opts: FollowXdsOptions): Promise<() => void> {
  const client = await connectXds({
    address: opts.address,
    nodeId: opts.nodeId,
    labels: opts.labels,
    namespace: opts.namespace,
    reconnect: opts.reconnect,
    chain: opts.chain,
    onUpdate: (update) => {
      const chain = proxy.applyFilters(update.filters.map(toSpec), update.versionInfo);
      opts.onChain?.(chain);
    },
  });
  client.on('nack', (n: { versionInfo: string; message: string }) => {
    proxy.noteRejected?.(n.versionInfo, n.message);
    opts.onReject?.({ version: n.versionInfo, message: n.message });
  });
  client.on('error', (err: Error) => opts.onError?.(err.message));
  client.on('disconnected', (d: { reason: string; retryInMs: number }) => opts.onDisconnect?.(d));
  return () => client.close();
}
