/**
 * The one model both sources (directory, Kubernetes) feed: an Istio WasmPlugin or
 * TrafficExtension reduced to what distribution needs. WasmPlugin keeps the Wasm fields at
 * the top of its spec; TrafficExtension nests them under spec.wasm and has no singular
 * targetRef. normalizeExtension() hides that difference.
 */
export const EXTENSION_API_VERSION = 'extensions.istio.io/v1alpha1';
export const EXTENSION_KINDS = ['WasmPlugin', 'TrafficExtension'] as const;
export type ExtensionKind = (typeof EXTENSION_KINDS)[number];

export const PHASES = ['AUTHN', 'AUTHZ', 'STATS'] as const;
export type Phase = (typeof PHASES)[number] | 'UNSPECIFIED';
export const FAIL_STRATEGIES = ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'] as const;
export type FailStrategy = (typeof FAIL_STRATEGIES)[number];
export type PullPolicy = 'IfNotPresent' | 'Always' | 'Default';

export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: 'INLINE' | 'HOST';
}

/** Kinds a source may produce: Istio's two, and Envoy Gateway's policy (one Extension per spec.wasm[] entry). */
export type SourceKind = ExtensionKind | 'EnvoyExtensionPolicy';

export interface Extension {
  kind: SourceKind;
  namespace: string;
  name: string;
  /** ECDS resource name, as Istio names it: namespace.name. */
  resourceName: string;
  url: string;
  /** As declared: manifest digest for oci://, sha256 of the .wasm for http(s)://; '' if unset. */
  sha256: string;
  phase: Phase;
  priority: number;
  selector?: Record<string, string>;
  targetRefs: TargetRef[];
  pluginConfig?: unknown;
  pluginName: string;
  failStrategy: FailStrategy;
  imagePullPolicy: PullPolicy;
  imagePullSecret?: string;
  type: 'HTTP' | 'NETWORK';
  env: EnvVar[];
  /** Where it came from: a file path, or kubernetes://kind/ns/name. */
  origin: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  /**
   * Set when this is the last valid version of a manifest that now fails to parse or validate:
   * it keeps serving (see sources/last-valid.ts) and status reports the error.
   */
  manifestError?: string;
}

/** A stable identity across sources: kind/namespace/name. */
export const extensionKey = (e: Pick<Extension, 'kind' | 'namespace' | 'name'>) => `${e.kind}/${e.namespace}/${e.name}`;

type Obj = Record<string, any>;

/** Converts a manifest already validated against its CRD schema. */
export function normalizeExtension(doc: Obj, origin: string, defaultNamespace = 'default'): Extension {
  const kind = doc.kind as ExtensionKind;
  const spec: Obj = doc.spec ?? {};
  const wasm: Obj = kind === 'TrafficExtension' ? (spec.wasm ?? {}) : spec;
  const namespace: string = doc.metadata?.namespace || defaultNamespace;
  const name: string = doc.metadata.name;
  const targetRefs: TargetRef[] = [...(spec.targetRef ? [spec.targetRef] : []), ...(spec.targetRefs ?? [])];
  const phase = (PHASES as readonly string[]).includes(spec.phase) ? (spec.phase as Phase) : 'UNSPECIFIED';
  const pull =
    wasm.imagePullPolicy === 'IfNotPresent' || wasm.imagePullPolicy === 'Always' ? wasm.imagePullPolicy : 'Default';
  return {
    kind,
    namespace,
    name,
    resourceName: `${namespace}.${name}`,
    url: wasm.url,
    sha256: wasm.sha256 ?? '',
    phase,
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    selector: spec.selector?.matchLabels ? { ...spec.selector.matchLabels } : undefined,
    targetRefs,
    pluginConfig: wasm.pluginConfig,
    pluginName: wasm.pluginName ?? '',
    failStrategy: wasm.failStrategy ?? 'FAIL_CLOSE',
    imagePullPolicy: pull,
    imagePullSecret: wasm.imagePullSecret,
    type: wasm.type === 'NETWORK' ? 'NETWORK' : 'HTTP',
    env: wasm.vmConfig?.env ?? [],
    origin,
    generation: doc.metadata?.generation,
    resourceVersion: doc.metadata?.resourceVersion,
    creationTimestamp: doc.metadata?.creationTimestamp,
  };
}
