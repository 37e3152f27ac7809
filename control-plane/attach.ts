import { validateManifest } from './manifest/crd-schema.js';
import {
  EXTENSION_API_VERSION,
  normalizeExtension,
  type ExtensionKind,
  type FailStrategy,
  type TargetRef,
} from './manifest/extension.js';
import { wasmFilterConfig } from './xds/resources.js';
import { EG_API_VERSION, EG_KIND, validateEnvoyExtensionPolicy } from './manifest/envoy-extension-policy.js';

/**
 * Envoy Gateway's EnvoyExtensionPolicy with one spec.wasm[] entry. What it cannot say is refused
 * with the reason rather than dropped: it attaches to Gateways and routes (targetRefs), not to
 * workload selectors; it has no phases or priorities (list order decides); it has failOpen, not
 * FAIL_RELOAD. Image urls are written without oci://, as Envoy Gateway's docs write them.
 */
function buildEnvoyExtensionPolicy(s: AttachSpec): Record<string, unknown> {
  const refuse = (msg: string): never => {
    throw new Error(`--kind ${EG_KIND}: ${msg}`);
  };
  if (s.selector && Object.keys(s.selector).length)
    refuse('Envoy Gateway policies attach with --target-ref Gateway/NAME or HTTPRoute/NAME, not --selector');
  if (!s.targetRefs?.length) refuse('pass --target-ref Gateway/NAME (or HTTPRoute/NAME, GRPCRoute/NAME, ...)');
  if (s.phase || s.priority !== undefined)
    refuse('Envoy Gateway has no phase or priority for Wasm; extensions run in the order of spec.wasm');
  if (s.failStrategy === 'FAIL_RELOAD') refuse('Envoy Gateway has failOpen only; use FAIL_CLOSE or FAIL_OPEN');
  const oci = s.url.startsWith('oci://');
  const code = oci
    ? {
        type: 'Image',
        image: {
          url: s.url.slice('oci://'.length),
          sha256: s.sha256,
          ...(s.pullSecret ? { pullSecretRef: { name: s.pullSecret } } : {}),
        },
        ...(s.pullPolicy ? { pullPolicy: s.pullPolicy } : {}),
      }
    : { type: 'HTTP', http: { url: s.url, sha256: s.sha256 }, ...(s.pullPolicy ? { pullPolicy: s.pullPolicy } : {}) };
  const doc = {
    apiVersion: EG_API_VERSION,
    kind: EG_KIND,
    metadata: { name: s.name, namespace: s.namespace ?? 'default' },
    spec: {
      targetRefs: (s.targetRefs ?? []).map((r) => ({ group: 'gateway.networking.k8s.io', kind: r.kind, name: r.name })),
      wasm: [
        {
          name: s.name,
          ...(s.rootId ? { rootID: s.rootId } : {}),
          code,
          ...(s.pluginConfig !== undefined ? { config: s.pluginConfig } : {}),
          ...(s.failStrategy === 'FAIL_OPEN' ? { failOpen: true } : {}),
        },
      ],
    },
  };
  validateEnvoyExtensionPolicy(doc, `attach --name ${s.name}`);
  return doc;
}

/**
 * Builds the WasmPlugin / TrafficExtension manifest `meshwasm attach` prints, and the
 * equivalent Envoy HTTP filter config. Pure: resolving digests is the caller's job.
 */
export interface AttachSpec {
  kind: ExtensionKind | typeof EG_KIND;
  name: string;
  namespace?: string;
  /** oci://... or http(s)://... */
  url: string;
  /** Manifest digest (oci) or module sha256 (http), hex without "sha256:". */
  sha256: string;
  selector?: Record<string, string>;
  targetRefs?: TargetRef[];
  phase?: 'AUTHN' | 'AUTHZ' | 'STATS';
  priority?: number;
  pluginConfig?: unknown;
  failStrategy?: FailStrategy;
  pullSecret?: string;
  pullPolicy?: 'IfNotPresent' | 'Always';
  rootId?: string;
}

export function buildExtensionManifest(s: AttachSpec): Record<string, unknown> {
  if (s.kind === EG_KIND) return buildEnvoyExtensionPolicy(s);
  const wasm: Record<string, unknown> = {
    url: s.url,
    sha256: s.sha256,
    ...(s.pullPolicy ? { imagePullPolicy: s.pullPolicy } : {}),
    ...(s.pullSecret ? { imagePullSecret: s.pullSecret } : {}),
    ...(s.rootId ? { pluginName: s.rootId } : {}),
    ...(s.pluginConfig !== undefined ? { pluginConfig: s.pluginConfig } : {}),
    ...(s.failStrategy ? { failStrategy: s.failStrategy } : {}),
  };
  const placement: Record<string, unknown> = {
    ...(s.selector && Object.keys(s.selector).length ? { selector: { matchLabels: s.selector } } : {}),
    ...(s.targetRefs?.length ? { targetRefs: s.targetRefs } : {}),
    ...(s.phase ? { phase: s.phase } : {}),
    ...(s.priority !== undefined ? { priority: s.priority } : {}),
  };
  const spec = s.kind === 'TrafficExtension' ? { ...placement, wasm } : { ...placement, ...wasm };
  const doc = {
    apiVersion: EXTENSION_API_VERSION,
    kind: s.kind,
    metadata: { name: s.name, namespace: s.namespace ?? 'default' },
    spec,
  };
  // What we print must be what an API server would accept.
  validateManifest(doc, `attach --name ${s.name}`);
  return doc;
}

/**
 * The Envoy HTTP filter (envoy.extensions.filters.http.wasm.v3.Wasm) for users without Istio,
 * in Envoy's YAML/JSON config spelling (snake_case, "@type", durations as "30s"). The module is
 * fetched by Envoy from `moduleUri` and checked against `moduleSha256` (the .wasm's own hash).
 */
export function buildEnvoyFilter(
  manifest: Record<string, unknown>,
  moduleUri: string,
  moduleSha256: string,
  opts: { envoyVersion?: string } = {},
): Record<string, unknown> {
  const ext = normalizeExtension(manifest as Record<string, any>, 'attach');
  const cfg = envoySpelling(wasmFilterConfig(ext, moduleUri, moduleSha256)) as { config: Record<string, unknown> };
  if (ext.failStrategy === 'FAIL_RELOAD') {
    // fail_open cannot say "reload": Envoy 1.33 added PluginConfig.failure_policy (FAIL_RELOAD),
    // which Istio emits from its 1.25 (whose proxy is Envoy 1.33) on (pilot/pkg/model/extensions.go).
    // On an older Envoy it would silently become fail-closed, so refuse instead.
    const v = parseEnvoyVersion(opts.envoyVersion);
    if (v && (v[0] < FAILURE_POLICY_SINCE[0] || (v[0] === FAILURE_POLICY_SINCE[0] && v[1] < FAILURE_POLICY_SINCE[1])))
      throw new Error(
        `failStrategy FAIL_RELOAD needs envoy.extensions.wasm.v3.PluginConfig.failure_policy, which Envoy has since ` +
          `${FAILURE_POLICY_SINCE.join('.')}; Envoy ${opts.envoyVersion} has only fail_open, so the filter would fail closed instead of reloading. ` +
          `Use --fail-strategy FAIL_CLOSE or FAIL_OPEN, or target Envoy ${FAILURE_POLICY_SINCE.join('.')}+ (--envoy-version)`,
      );
    delete cfg.config.fail_open;
    cfg.config.failure_policy = 'FAIL_RELOAD';
  }
  return {
    name: ext.resourceName,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
      ...cfg,
    },
  };
}

/** The first Envoy release with PluginConfig.failure_policy. */
const FAILURE_POLICY_SINCE = [1, 33] as const;

function parseEnvoyVersion(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(v.trim());
  if (!m) throw new Error(`--envoy-version "${v}" is not a version like 1.33 or 1.33.2`);
  return [Number(m[1]), Number(m[2])];
}

function envoySpelling(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(envoySpelling);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  // A google.protobuf.Duration in Envoy's JSON form.
  if (Object.keys(o).length === 1 && typeof o.seconds === 'string') return `${o.seconds}s`;
  return Object.fromEntries(
    Object.entries(o).map(([k, x]) => [
      k.startsWith('@') ? k : k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()),
      envoySpelling(x),
    ]),
  );
}
