import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { buildProject, packageRoot } from '../builder/index.js';
import {
  buildExtensionManifest,
  DirectorySource,
  OciModuleSource,
  Resolver,
  startControlPlane,
  type ControlPlane,
} from '../control-plane/index.js';
import { startProxy, type RunningProxy } from '../proxy/index.js';
import { followXds } from '../proxy/xds-source.js';
import * as registry from '../registry/index.js';
import { signDemoFilters, demoSignatureGate, type DemoSigning } from './signing.js';
import { startBackend, type Backend } from './backends.js';
import {
  FILTERS,
  NAMESPACE,
  REQUESTS,
  ROUTE_HEADER,
  WORKLOAD_LABELS,
  type DemoFilter,
  type DemoRequest,
} from './plan.js';

export interface DemoOptions {
  /** host:port of an OCI registry to push to; default: an OCI image layout in the work directory. */
  registry?: string;
  /** Keep the work directory (store, manifests, cache) instead of removing it. */
  keep?: boolean;
  /** Told about each step as it starts (progress). */
  onStep?: (step: string) => void;
  /** Which filters, and from where. Default: the three shipped ones (plan.ts) under <package>/filters. */
  filters?: DemoFilter[];
  filtersRoot?: string;
  /** How long to wait for the proxy to receive the chain. Default 60 s. */
  chainTimeoutMs?: number;
}

export interface DemoReport {
  workDir: string;
  kept: boolean;
  store: string;
  filters: { name: string; sizeBytes: number; reference: string; manifestDigest: string; moduleSha256: string }[];
  manifests: string[];
  controlPlane: { xds: string; http: string };
  proxy: { url: string; routeHeader: string; sides: Record<string, string> };
  chain: { version: string; filters: string[] };
  requests: (DemoRequest & { status: number; side?: string; body: string })[];
  /** The filters' counters, by the names they defined (tags encoded in the name). */
  metrics: Record<string, number>;
  extensions: {
    name: string;
    state: string;
    digest: string;
    proxiesAcked: number;
    signedBy?: string;
    error?: string;
  }[];
  /** The demo's key signed every filter; the control plane served only what verified under it. */
  signing: DemoSigning;
}

export class DemoError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'build' | 'remote' | 'invalid-input' = 'remote',
  ) {
    super(message);
    this.name = 'DemoError';
  }
}

const hex = (d: string) => d.replace(/^sha256:/, '');

/**
 * The whole loop on one machine: build the shipped filters, push them, attach them, serve them
 * from an in-process control plane over ECDS to a proxy in front of two small upstreams, send
 * requests, report, shut everything down.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoReport> {
  const step = opts.onStep ?? (() => {});
  const workDir = mkdtempSync(join(tmpdir(), 'meshwasm-demo-'));
  const storeDir = join(workDir, 'oci');
  const manifestDir = join(workDir, 'manifests');
  const env = { ...process.env, MESHWASM_STORE: storeDir };
  const stops: (() => Promise<void> | void)[] = [];
  const filters = opts.filters ?? FILTERS;
  try {
    // 1. build
    const built: { f: DemoFilter; wasm: Uint8Array }[] = [];
    const root = opts.filtersRoot ?? join(packageRoot(), 'filters');
    const missing = filters.filter((f) => !existsSync(join(root, f.dir, 'asconfig.json'))).map((f) => f.dir);
    if (missing.length)
      throw new DemoError(
        `demo: the shipped filter${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing from ${root}; reinstall meshwasm (npm ci)`,
        'not-found',
      );
    for (const f of filters) {
      step(`building filters/${f.dir}`);
      const dir = join(root, f.dir);
      const r = await buildProject({ dir, outFile: join(workDir, 'build', `${f.name}.wasm`) });
      built.push({ f, wasm: new Uint8Array(await readFile(r.outFile)) });
    }

    // 2. push
    const pushed: DemoReport['filters'] = [];
    for (const { f, wasm } of built) {
      const ref = opts.registry ? `${opts.registry}/meshwasm-demo/${f.name}:v1` : `meshwasm-demo/${f.name}:v1`;
      step(`pushing ${ref}`);
      const p = await registry.pushModule(wasm, ref, { env });
      pushed.push({
        name: f.name,
        sizeBytes: wasm.length,
        reference: ref,
        manifestDigest: p.manifestDigest,
        moduleSha256: p.moduleSha256,
      });
    }

    // 2b. sign each pushed manifest with a key made for this run
    step('signing the filters');
    const signing = await signDemoFilters(
      pushed.map((p) => p.reference),
      { env },
    );

    // 3. attach: one WasmPlugin per filter, into the directory the control plane watches
    mkdirSync(manifestDir, { recursive: true });
    const manifests: string[] = [];
    for (const [i, { f }] of built.entries()) {
      const doc = buildExtensionManifest({
        kind: 'WasmPlugin',
        name: f.name,
        namespace: NAMESPACE,
        url: `oci://${pushed[i]!.reference}`,
        sha256: hex(pushed[i]!.manifestDigest),
        selector: WORKLOAD_LABELS,
        phase: f.phase,
        priority: f.priority,
        pluginConfig: f.config,
        failStrategy: 'FAIL_CLOSE',
      });
      const file = join(manifestDir, `${f.name}.yaml`);
      writeFileSync(file, YAML.stringify(doc));
      manifests.push(file);
    }

    // 4. control plane
    step('starting the control plane');
    const cp: ControlPlane = await startControlPlane({
      sources: [new DirectorySource(manifestDir, { debounceMs: 30 })],
      resolver: new Resolver([new OciModuleSource(registry, { env })], { dir: join(workDir, 'cache') }),
      signatures: demoSignatureGate(signing, NAMESPACE, { env }),
      retryMs: 500,
    });
    stops.push(() => cp.close());

    // 5. upstreams and the proxy
    step('starting the proxy');
    const stable: Backend = await startBackend('stable');
    stops.push(() => stable.close());
    const canary: Backend = await startBackend('canary');
    stops.push(() => canary.close());
    const proxy: RunningProxy = await startProxy({
      upstream: stable.url,
      clusters: { stable: stable.url, canary: canary.url },
      routeHeader: ROUTE_HEADER,
      initiallyReady: false,
    });
    stops.push(() => proxy.close());
    const stopXds = await followXds(proxy, {
      address: cp.xdsAddress,
      nodeId: 'shop-1',
      labels: WORKLOAD_LABELS,
      namespace: NAMESPACE,
    });
    stops.push(stopXds);

    step('waiting for the proxy to receive the filters over ECDS');
    await waitForChain(proxy, cp, filters.length, opts.chainTimeoutMs ?? 60_000);

    // 6. requests
    const requests: DemoReport['requests'] = [];
    for (const r of REQUESTS) {
      step(`${r.method} ${r.path}`);
      const res = await fetch(`${proxy.url}${r.path}`, { method: r.method, headers: r.headers });
      const body = await res.text();
      requests.push({
        ...r,
        status: res.status,
        side: res.headers.get('x-served-by-side') ?? undefined,
        body: body.slice(0, 200),
      });
    }

    const chain = proxy.chain();
    const status = cp.status();
    return {
      workDir,
      kept: !!opts.keep,
      store: opts.registry ?? storeDir,
      filters: pushed,
      manifests,
      controlPlane: { xds: cp.xdsAddress, http: cp.httpUrl },
      proxy: { url: proxy.url, routeHeader: ROUTE_HEADER, sides: { stable: stable.url, canary: canary.url } },
      chain: { version: chain.version, filters: chain.filters.map((f) => String(f.name)) },
      requests,
      // Counters only: histogram sums (durations, sizes) read poorly in a summary.
      metrics: Object.fromEntries(
        proxy.host.metrics
          .all()
          .filter((m) => m.type === 'counter')
          .map((m) => [m.name, m.value]),
      ),
      extensions: status.extensions.map((e) => ({
        name: e.name,
        state: e.state,
        digest: e.digest,
        proxiesAcked: e.proxies.filter((p) => p.acked).length,
        ...(e.signedBy ? { signedBy: e.signedBy } : {}),
        ...(e.error ? { error: e.error } : {}),
      })),
      signing: {
        keyId: signing.keyId,
        signed: signing.signed,
        enforcedIn: signing.enforcedIn,
        verified: status.extensions.filter((e) => e.signedBy).length,
      },
    };
  } finally {
    step('shutting down');
    for (const stop of stops.reverse()) await stop();
    if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
  }
}

async function waitForChain(proxy: RunningProxy, cp: ControlPlane, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (proxy.chain().filters.length < n) {
    if (Date.now() > deadline) {
      const s = cp.status();
      const errors = [
        ...s.extensions.filter((e) => e.error).map((e) => `${e.name}: ${e.error}`),
        ...s.proxies.filter((p) => p.nack).map((p) => `proxy ${p.nodeId} refused: ${p.nack!.message}`),
        ...s.sourceErrors.map((e) => `${e.origin}: ${e.message}`),
      ];
      throw new DemoError(
        `demo: the proxy did not receive all ${n} filters within ${timeoutMs / 1000} s` +
          (errors.length ? `: ${errors.join('; ')}` : `; it has ${proxy.chain().filters.length}`),
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
