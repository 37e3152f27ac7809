import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { loadEnvoyProtos, type EnvoyProtos } from '../envoy-api/protos.js';
import { extensionKey, type Extension } from './manifest/extension.js';
import type { ResolvedModule, Resolver } from './resolver/resolver.js';
import type { SignatureGate } from './resolver/signature-gate.js';
import type { ExtensionCondition, ExtensionSource, SourceError } from './sources/source.js';
import { EcdsServer, type ProxyState } from './xds/ecds-server.js';
import { fallbackResource, wasmResource } from './xds/resources.js';
import { startHttpServer } from './http/server.js';
import type { ExtensionRecord } from './extension-record.js';
import { buildStatus, recordStatus, type StatusReport } from './status.js';
import { ConditionTallies } from './condition-tally.js';
import { conditionFromTally } from './conditions.js';
import { controlPlaneMetrics } from './observe/metrics.js';

export interface ControlPlaneOptions {
  sources: ExtensionSource[];
  resolver: Resolver;
  /** host:port for ECDS (gRPC); default 127.0.0.1:0. */
  xdsListen?: string;
  /** host:port for modules and /status; default 127.0.0.1:0. */
  httpListen?: string;
  /** Base URL proxies use to download modules, when it differs from the listen address. */
  moduleBaseUrl?: string;
  /** Extensions here apply to every namespace (Istio's root namespace). Default istio-system. */
  rootNamespace?: string;
  /** Failed resolutions are retried this often (default 5 s). */
  retryMs?: number;
  /** Stale cache entries are purged this often (default 1 h). */
  purgeMs?: number;
  /** Signature policy enforcement (docs/signing.md); default none: modules are served unsigned. */
  signatures?: SignatureGate;
  /**
   * Status writes to sources that keep status (Kubernetes) are coalesced: at most one round of
   * writes per this many ms (default 1000), each writing only the extensions whose condition changed.
   */
  statusWriteIntervalMs?: number;
}

export type { ExtensionRecord, ExtensionState } from './extension-record.js';

/**
 * Ties sources, resolver, ECDS server and HTTP server together: every change in a source
 * re-reads the model, resolves what changed, and pushes the result to subscribed proxies.
 * A failed resolution keeps the previous module serving; with no previous module the
 * extension is replaced by Istio's RBAC fallback (allow-all for FAIL_OPEN, deny-all otherwise).
 */
export class ControlPlane extends EventEmitter {
  readonly records = new Map<string, ExtensionRecord>();
  sourceErrors: SourceError[] = [];
  xdsAddress = '';
  httpUrl = '';
  private ecds!: EcdsServer;
  private http!: Server;
  private protos!: EnvoyProtos;
  private chain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private readonly written = new Map<string, string>();
  private closed = false;
  /** Resolutions in flight, per extension key; a newer spec or a deletion replaces or drops the token. */
  private readonly inFlight = new Map<string, { token: symbol; done: Promise<void> }>();
  /** False until the first convergence has settled; nothing is published before. */
  private published = false;
  private conditions: Promise<void> = Promise.resolve();
  /** Per-resource ACK/NACK counts, kept only when a source keeps status (see writeConditions). */
  private readonly tallies = new ConditionTallies();
  /** ECDS resource names whose proxies changed since the last status write; '*': every extension. */
  private readonly dirty = new Set<string>();
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatusWrite = 0;

  constructor(readonly opts: ControlPlaneOptions) {
    super();
  }

  async start(): Promise<void> {
    this.protos = await loadEnvoyProtos();
    this.ecds = new EcdsServer(this.protos, this.opts.rootNamespace ?? 'istio-system');
    const xdsListen = this.opts.xdsListen ?? '127.0.0.1:0';
    const port = await this.ecds.listen(xdsListen);
    this.xdsAddress = `${xdsListen.slice(0, xdsListen.lastIndexOf(':'))}:${port}`;
    const metrics = controlPlaneMetrics(this);
    const http = await startHttpServer(this.opts.httpListen ?? '127.0.0.1:0', {
      module: (sha) => this.moduleBySha(sha),
      status: () => this.status(),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
    });
    this.http = http.server;
    this.httpUrl = http.url;
    // Each event carries the proxy's state, for logs and metrics (observe/).
    // Status follows each proxy incrementally (O(its resources)), and only when a source keeps it.
    const keepsStatus = this.opts.sources.some((s) => s.writeStatus);
    for (const ev of ['ack', 'nack', 'connect', 'disconnect', 'push'] as const) {
      this.ecds.on(ev, (proxy: ProxyState) => {
        this.emit(ev, proxy);
        if (!keepsStatus) return;
        const changed = ev === 'disconnect' ? this.tallies.remove(proxy) : this.tallies.update(proxy);
        if (changed.length) this.markDirty(changed);
      });
    }
    for (const s of this.opts.sources) s.on('change', () => this.reconcile());
    for (const s of this.opts.sources) await s.start();
    this.timers.push(
      setInterval(() => {
        if ([...this.records.values()].some((r) => r.error)) void this.reconcile();
      }, this.opts.retryMs ?? 5000),
    );
    this.timers.push(setInterval(() => this.opts.resolver.cache.purge(), this.opts.purgeMs ?? 3_600_000));
    for (const t of this.timers) t.unref();
    // The first answer to proxies waits for every extension's first resolution (each bounded by
    // the fetch deadline): a restarted control plane must not push a chain missing a filter that
    // is merely still downloading. Proxies keep their last chain meanwhile.
    await this.reconcile();
    this.published = true;
    this.publish();
  }

  /**
   * Re-reads every source and converges; reads are serialized. The promise settles once the
   * resolutions this call started have settled, but later calls do not wait for them.
   */
  reconcile(): Promise<void> {
    this.chain = this.chain
      .then(() => this.converge())
      .catch((err) => {
        this.emit('error', err);
      });
    // Every resolution in flight once this read is done, including ones an earlier call started.
    return this.chain.then(async () => {
      await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    });
  }

  status(): StatusReport {
    return buildStatus(this);
  }

  proxies() {
    return this.ecds.proxies();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.statusTimer);
    for (const t of this.timers) clearInterval(t);
    for (const s of this.opts.sources) await s.close();
    await this.ecds.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private moduleBySha(sha: string): Uint8Array | undefined {
    for (const r of this.records.values()) if (r.resolved?.moduleSha256 === sha) return r.resolved.module;
    return undefined;
  }

  /**
   * Reads the sources and starts a resolution for each extension whose spec changed (or whose
   * last one failed). Each one publishes on its own when it settles, so a slow registry holds
   * back only its own extension: every other change goes out at once.
   */
  private converge(): void {
    if (this.closed) return;
    const wanted = new Map<string, Extension>();
    const errors: SourceError[] = [];
    for (const s of this.opts.sources) {
      const snap = s.snapshot();
      errors.push(...snap.errors);
      for (const ext of snap.extensions) {
        const key = extensionKey(ext);
        const other = wanted.get(key);
        if (other) {
          errors.push({
            origin: ext.origin,
            message: `${ext.kind} ${ext.namespace}/${ext.name} from ${ext.origin} is ignored: ${other.origin} defines it too`,
          });
          continue;
        }
        wanted.set(key, ext);
      }
    }
    this.sourceErrors = errors;
    for (const key of [...this.records.keys()])
      if (!wanted.has(key)) {
        this.records.delete(key);
        this.inFlight.delete(key); // a resolution still running for it is dropped when it settles
      }

    for (const [key, ext] of wanted) {
      const signature = JSON.stringify([
        ext.url,
        ext.sha256,
        ext.imagePullPolicy,
        ext.imagePullSecret,
        ext.pluginConfig,
        ext.pluginName,
        ext.failStrategy,
        ext.env,
        ext.type,
      ]);
      const prev = this.records.get(key);
      const rec: ExtensionRecord = prev ?? { ext, state: 'Pending', signature: '' };
      rec.ext = ext; // selector, phase, priority take effect without a new fetch
      // Unchanged and either fine or already being retried: nothing to fetch.
      if (prev && prev.signature === signature && (!prev.error || this.inFlight.has(key))) {
        if (rec.served && rec.servedExt) rec.served = { ...rec.served, ext };
        continue;
      }
      rec.signature = signature;
      this.records.set(key, rec);
      const token = Symbol(key);
      this.inFlight.set(key, { token, done: this.resolveOne(key, rec, token) });
    }
    // What is known now goes out now; extensions still resolving keep what they served before.
    this.publish();
  }

  /** Resolves one extension and publishes the outcome, unless a newer spec or a deletion superseded it. */
  private async resolveOne(key: string, rec: ExtensionRecord, token: symbol): Promise<void> {
    const ext = rec.ext;
    let resolved: ResolvedModule | undefined;
    let signedBy: string | undefined;
    let failure: Error | undefined;
    try {
      resolved = await this.opts.resolver.resolve({
        url: ext.url,
        sha256: ext.sha256,
        pullPolicy: ext.imagePullPolicy,
        pullSecret: ext.imagePullSecret,
        namespace: ext.namespace,
      });
      // Before anything is built or sent: a refused module never reaches a proxy.
      signedBy = (await this.opts.signatures?.check(ext, resolved))?.signedBy;
    } catch (err) {
      resolved = undefined;
      failure = err as Error;
    }
    if (this.closed || this.inFlight.get(key)?.token !== token || this.records.get(key) !== rec) return;
    this.inFlight.delete(key);
    // rec.ext may have a newer selector/phase/priority by now (same signature): build from it.
    const current = rec.ext;
    if (resolved) {
      const base = this.opts.moduleBaseUrl ?? this.httpUrl;
      const built = wasmResource(
        this.protos,
        current,
        `${base}/modules/${resolved.moduleSha256}.wasm`,
        resolved.moduleSha256,
      );
      Object.assign(rec, {
        resolved,
        servedExt: current,
        served: { ...built, ext: current, digest: resolved.checksum },
        state: 'Serving',
        error: undefined,
        signedBy,
      });
    } else {
      rec.error = failure?.message ?? 'unknown error';
      if (rec.resolved && rec.served) {
        // Keep the module proxies already run, as Envoy keeps a config whose update failed.
        rec.state = 'ServingPrevious';
        rec.served = { ...rec.served, ext: current };
      } else if (current.type === 'NETWORK') {
        // The RBAC stand-in is an HTTP filter; a network chain gets nothing until the module is fetched.
        rec.state = 'Pending';
        rec.served = undefined;
      } else {
        const built = fallbackResource(this.protos, current);
        const fallback = current.failStrategy === 'FAIL_OPEN' ? 'allow-all' : 'deny-all';
        rec.state = 'Fallback';
        rec.served = { ...built, ext: current, digest: '', fallback };
      }
    }
    this.publish();
  }

  /** Pushes what every record serves now, reports it, and writes conditions back (serialized). */
  private publish(): void {
    if (this.closed || !this.published) return;
    this.ecds.setResources([...this.records.values()].flatMap((r) => (r.served ? [r.served] : [])));
    // The full report costs a pass over every proxy: built only for someone listening (the event log).
    if (this.listenerCount('reconciled')) this.emit('reconciled', this.status());
    if (this.opts.sources.some((s) => s.writeStatus)) this.markDirty(['*']);
  }

  /**
   * Schedules a status write for these resource names. Writes are coalesced: the first after a
   * quiet spell goes out at once, later ones at most once per statusWriteIntervalMs, so N ACKs
   * arriving over a second cost one write per extension, not N (Kubernetes' API server would
   * otherwise take a patch per ACK).
   */
  private markDirty(names: string[]): void {
    for (const n of names) this.dirty.add(n);
    if (this.statusTimer || this.closed) return;
    const wait = Math.max(0, this.lastStatusWrite + (this.opts.statusWriteIntervalMs ?? 1000) - Date.now());
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.lastStatusWrite = Date.now();
      this.conditions = this.conditions
        .then(() => this.writeConditions())
        .catch((err) => {
          this.emit('warning', err);
        });
    }, wait);
    this.statusTimer.unref();
  }

  /**
   * Writes the condition of each extension marked dirty back to the source that keeps its status
   * (Kubernetes), when it changed: O(dirty extensions), each condition read off the tallies.
   */
  private async writeConditions(): Promise<void> {
    if (this.closed) return;
    const writers = this.opts.sources.filter((s) => s.writeStatus);
    const all = this.dirty.has('*');
    const names = new Set(this.dirty);
    this.dirty.clear();
    for (const [key, rec] of this.records) {
      if (!all && !names.has(rec.ext.resourceName)) continue;
      const source = writers.find((s) => s.snapshot().extensions.some((x) => extensionKey(x) === key));
      if (!source) continue;
      const c = conditionFromTally(recordStatus(key, rec), this.tallies.tally(rec.ext.resourceName));
      const condition: ExtensionCondition = { ready: c.status === 'True', reason: c.reason, message: c.message };
      const sig = JSON.stringify([condition, rec.ext.generation]);
      if (this.written.get(key) === sig) continue;
      this.written.set(key, sig);
      try {
        await source.writeStatus!(rec.ext, condition);
      } catch (err) {
        this.emit('warning', err);
      }
    }
  }
}

/** Creates and starts a control plane. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const cp = new ControlPlane(opts);
  await cp.start();
  return cp;
}
