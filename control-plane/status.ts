import type { ExtensionRecord } from './extension-record.js';
import type { Resolver } from './resolver/resolver.js';
import type { ProxyState } from './xds/ecds-server.js';
import type { SourceError } from './sources/source.js';
import { redactUrlCredentials as redact } from './redact.js';
import { extensionCondition, type ExtensionConditionStatus } from './conditions.js';

/** The status report: served by GET /status and printed by `meshwasm status`. */
export interface StatusReport {
  controlPlane: { xds: string; http: string };
  extensions: ExtensionStatus[];
  proxies: ProxyStatus[];
  sourceErrors: SourceError[];
  cache: { entries: number; bytes: number; maxBytes: number; hits: number; fetches: number; refusals: number };
}

export interface ExtensionStatus {
  key: string;
  kind: string;
  namespace: string;
  name: string;
  /** ECDS resource name proxies see. */
  resourceName: string;
  origin: string;
  url: string;
  /** sha256 as declared in the manifest ('' when not pinned). */
  sha256: string;
  /** Checksum of what is served: manifest digest (oci) or module sha256 (http/file). */
  digest: string;
  /** sha256 of the .wasm proxies download. */
  moduleSha256: string;
  phase: string;
  priority: number;
  state: string;
  fallback?: string;
  error?: string;
  /** The manifest now fails to parse or validate; its last valid version is what is served. */
  manifestError?: string;
  /** Who signed the served module, when a signature policy covers its namespace (docs/signing.md). */
  signedBy?: string;
  /** ECDS resource version currently served. */
  version?: string;
  /** The checksum the current manifest asks for ('' when it pins none and nothing was fetched). */
  wanted: { digest: string };
  /** What the connected proxies run (ACKed), by digest, and how many run each. */
  serving: { digest: string; proxies: number }[];
  /** Kubernetes-style condition computed from the state and what every proxy did; see conditions.ts. */
  condition: ExtensionConditionStatus;
  /** Proxies this extension was sent to, and what they did with it. */
  proxies: ExtensionProxyStatus[];
}

export interface ExtensionProxyStatus {
  nodeId: string;
  /** What the proxy holds: the ACKed version, else the one last sent. */
  version: string;
  digest: string;
  /** True when the proxy ACKed the version last sent. */
  acked: boolean;
  /** The version last sent to the proxy. */
  sentVersion: string;
  sentDigest: string;
  /** The version the proxy runs (its last ACK); absent when it ACKed none. */
  runningVersion?: string;
  runningDigest?: string;
  /** The proxy's NACK of this extension: its message, and the version and digest it refused. */
  nack?: string;
  nackedVersion?: string;
  nackedDigest?: string;
}

export interface ProxyStatus {
  nodeId: string;
  namespace: string;
  labels: Record<string, string>;
  connectedAt: string;
  subscribed: string[];
  sentVersion?: string;
  ackedVersion?: string;
  /** ECDS resources the proxy runs (ACKed), in chain order. */
  resources: { name: string; version: string; digest: string; fallback?: string }[];
  nack?: { version: string; message: string; at: string };
}

/** What the report is built from: the control plane's records, proxies and resolver. */
export interface StatusInputs {
  readonly records: ReadonlyMap<string, ExtensionRecord>;
  readonly sourceErrors: SourceError[];
  readonly xdsAddress: string;
  readonly httpUrl: string;
  readonly opts: { readonly resolver: Resolver };
  proxies(): ProxyState[];
}

/**
 * What one proxy did with one extension (by ECDS resource name), or undefined when it was never
 * sent it. Shared by the full report and the incremental tally (condition-tally.ts), so both
 * compute the same condition.
 */
export function proxyExtensionStatus(p: ProxyState, resourceName: string): ExtensionProxyStatus | undefined {
  const sent = p.sent?.resources.find((x) => x.name === resourceName);
  if (!sent) return undefined;
  const acked = p.acked?.resources.find((x) => x.name === resourceName);
  const nackedRes = p.nack?.resources.find((x) => x.name === resourceName);
  // A NACK covers a whole response; a resource it carried unchanged (same version as the
  // proxy runs) is not what the proxy refused.
  const nacked = nackedRes && nackedRes.version !== acked?.version ? nackedRes : undefined;
  const held = acked ?? sent;
  return {
    nodeId: p.nodeId,
    version: held.version,
    digest: held.digest,
    acked: !!acked && acked.version === sent.version,
    sentVersion: sent.version,
    sentDigest: sent.digest,
    ...(acked ? { runningVersion: acked.version, runningDigest: acked.digest } : {}),
    ...(nacked ? { nack: redact(p.nack!.message), nackedVersion: nacked.version, nackedDigest: nacked.digest } : {}),
  };
}

/** The record's own part of an extension's status (no per-proxy data): what conditions need besides the tally. */
export function recordStatus(key: string, r: ExtensionRecord) {
  const failed = r.state === 'ServingPrevious' || r.state === 'Fallback';
  return {
    key,
    kind: r.ext.kind,
    namespace: r.ext.namespace,
    name: r.ext.name,
    resourceName: r.ext.resourceName,
    origin: r.ext.origin,
    url: redact(r.ext.url),
    sha256: r.ext.sha256,
    digest: r.resolved?.checksum ?? '',
    moduleSha256: r.resolved?.moduleSha256 ?? '',
    phase: r.ext.phase,
    priority: r.ext.priority,
    state: r.state,
    ...(r.served?.fallback ? { fallback: r.served.fallback } : {}),
    ...(r.error ? { error: redact(r.error) } : {}),
    ...(r.ext.manifestError ? { manifestError: redact(r.ext.manifestError) } : {}),
    ...(r.signedBy ? { signedBy: r.signedBy } : {}),
    ...(r.served ? { version: r.served.version } : {}),
    wanted: { digest: failed ? r.ext.sha256 : (r.resolved?.checksum ?? r.ext.sha256) },
  };
}

export function buildStatus(cp: StatusInputs): StatusReport {
  const proxies = cp.proxies();
  const extensions: ExtensionStatus[] = [...cp.records.entries()]
    .map(([key, r]) => {
      const perProxy: ExtensionProxyStatus[] = proxies.flatMap((p) => {
        const one = proxyExtensionStatus(p, r.ext.resourceName);
        return one ? [one] : [];
      });
      const serving = new Map<string, number>();
      for (const p of perProxy)
        if (p.runningVersion !== undefined)
          serving.set(p.runningDigest ?? '', (serving.get(p.runningDigest ?? '') ?? 0) + 1);
      const base = {
        ...recordStatus(key, r),
        serving: [...serving].map(([digest, n]) => ({ digest, proxies: n })),
        proxies: perProxy,
      };
      return { ...base, condition: extensionCondition(base) };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
  const stats = cp.opts.resolver.stats;
  return {
    controlPlane: { xds: cp.xdsAddress, http: cp.httpUrl },
    extensions,
    proxies: proxies.map((p) => ({
      nodeId: p.nodeId,
      namespace: p.namespace,
      labels: p.labels,
      connectedAt: p.connectedAt,
      subscribed: p.subscribed,
      sentVersion: p.sent?.versionInfo,
      ackedVersion: p.acked?.versionInfo,
      resources: p.acked?.resources ?? [],
      ...(p.nack ? { nack: { version: p.nack.versionInfo, message: redact(p.nack.message), at: p.nack.at } } : {}),
    })),
    sourceErrors: cp.sourceErrors.map((e) => ({ ...e, message: redact(e.message) })),
    cache: {
      entries: cp.opts.resolver.cache.list().length,
      bytes: cp.opts.resolver.cache.totalBytes(),
      maxBytes: cp.opts.resolver.cache.maxBytes,
      hits: stats.cacheHits,
      fetches: stats.fetches,
      refusals: stats.refusals,
    },
  };
}
