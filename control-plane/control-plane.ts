import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import { loadEnvoyProtos, type EnvoyProtos } from '../envoy-api/protos.js';
import { extensionKey, type Extension } from './manifest/extension.js';
import type { Resolver } from './resolver/resolver.js';
import type { ExtensionCondition, ExtensionSource, SourceError } from './sources/source.js';
import { EcdsServer } from './xds/ecds-server.js';
import { fallbackResource, wasmResource } from './xds/resources.js';
import { startHttpServer } from './http/server.js';
import type { ExtensionRecord } from './extension-record.js';
import { buildStatus, type StatusReport } from './status.js';

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

  constructor(readonly opts: ControlPlaneOptions) {
    super();
  }

  async start(): Promise<void> {
    this.protos = await loadEnvoyProtos();
    this.ecds = new EcdsServer(this.protos, this.opts.rootNamespace ?? 'istio-system');
    const xdsListen = this.opts.xdsListen ?? '127.0.0.1:0';
    const port = await this.ecds.listen(xdsListen);
    this.xdsAddress = `${xdsListen.slice(0, xdsListen.lastIndexOf(':'))}:${port}`;
    const http = await startHttpServer(this.opts.httpListen ?? '127.0.0.1:0', {
      module: (sha) => this.moduleBySha(sha),
      status: () => this.status(),
    });
    this.http = http.server;
    this.httpUrl = http.url;
    for (const ev of ['ack', 'nack', 'connect', 'disconnect'] as const) {
      this.ecds.on(ev, () => {
        this.emit(ev);
        void this.writeConditions();
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
    await this.reconcile();
  }

  /** Re-reads every source and converges; calls are serialized. */
  reconcile(): Promise<void> {
    this.chain = this.chain
      .then(() => this.converge())
      .catch((err) => {
        this.emit('error', err);
      });
    return this.chain;
  }

  status(): StatusReport {
    return buildStatus(this);
  }

  proxies() {
    return this.ecds.proxies();
  }

  async close(): Promise<void> {
    this.closed = true;
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

  private async converge(): Promise<void> {
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
    for (const key of [...this.records.keys()]) if (!wanted.has(key)) this.records.delete(key);

    await Promise.all(
      [...wanted].map(async ([key, ext]) => {
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
        if (prev && prev.signature === signature && !prev.error) {
          if (rec.served && rec.servedExt) rec.served = { ...rec.served, ext };
          return;
        }
        rec.signature = signature;
        this.records.set(key, rec);
        try {
          const resolved = await this.opts.resolver.resolve({
            url: ext.url,
            sha256: ext.sha256,
            pullPolicy: ext.imagePullPolicy,
            pullSecret: ext.imagePullSecret,
          });
          const base = this.opts.moduleBaseUrl ?? this.httpUrl;
          const built = wasmResource(
            this.protos,
            ext,
            `${base}/modules/${resolved.moduleSha256}.wasm`,
            resolved.moduleSha256,
          );
          Object.assign(rec, {
            resolved,
            servedExt: ext,
            served: { ...built, ext, digest: resolved.checksum },
            state: 'Serving',
            error: undefined,
          });
        } catch (err) {
          rec.error = (err as Error).message;
          if (rec.resolved && rec.served) {
            // Keep the module proxies already run, as Envoy keeps a config whose update failed.
            rec.state = 'ServingPrevious';
            rec.served = { ...rec.served, ext };
          } else if (ext.type === 'NETWORK') {
            // The RBAC stand-in is an HTTP filter; a network chain gets nothing until the module is fetched.
            rec.state = 'Pending';
            rec.served = undefined;
          } else {
            const built = fallbackResource(this.protos, ext);
            const fallback = ext.failStrategy === 'FAIL_OPEN' ? 'allow-all' : 'deny-all';
            rec.state = 'Fallback';
            rec.served = { ...built, ext, digest: '', fallback };
          }
        }
      }),
    );
    if (this.closed) return;
    this.ecds.setResources([...this.records.values()].flatMap((r) => (r.served ? [r.served] : [])));
    this.emit('reconciled', this.status());
    await this.writeConditions();
  }

  /** Writes each extension's condition back to sources that keep status (Kubernetes). */
  private async writeConditions(): Promise<void> {
    const writers = this.opts.sources.filter((s) => s.writeStatus);
    if (!writers.length) return;
    const report = this.status();
    for (const e of report.extensions) {
      const rec = this.records.get(`${e.kind}/${e.namespace}/${e.name}`);
      const source = writers.find((s) => s.snapshot().extensions.some((x) => extensionKey(x) === e.key));
      if (!rec || !source) continue;
      const nacked = e.proxies.filter((p) => p.nack);
      const condition: ExtensionCondition =
        e.state === 'Serving' && !nacked.length
          ? {
              ready: true,
              reason: 'Serving',
              message: `serving ${e.digest ? 'sha256:' + e.digest : e.url} to ${e.proxies.filter((p) => p.acked).length} proxies`,
            }
          : {
              ready: false,
              reason: nacked.length ? 'Rejected' : e.state,
              message: nacked.length
                ? `proxy ${nacked[0]!.nodeId} rejected it: ${nacked[0]!.nack}`
                : (e.error ?? e.state),
            };
      const sig = JSON.stringify([condition, rec.ext.generation]);
      if (this.written.get(e.key) === sig) continue;
      this.written.set(e.key, sig);
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
