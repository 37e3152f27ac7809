/**
 * What analyze checks: an Istio extension (WasmPlugin / TrafficExtension) or an Envoy wasm
 * filter config, reduced to the fields that decide whether the proxy will load it. Both
 * sources convert to this one shape so every check is written once.
 */
export type SubjectKind = 'WasmPlugin' | 'TrafficExtension' | 'EnvoyExtensionPolicy' | 'EnvoyWasm';

export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface Subject {
  kind: SubjectKind;
  namespace: string;
  name: string;
  /** "WasmPlugin default/authz": how findings name it. */
  label: string;
  origin: string;
  /** oci://, http(s)://, file:// (Istio), or a local path (Envoy's local filename, resolved). */
  url: string;
  /** As declared: manifest digest for oci://, module sha256 for http(s) and Envoy remote code. */
  sha256: string;
  /** Plugin configuration bytes handed to proxy_on_configure. */
  configuration: Uint8Array;
  /** Root id (Istio: pluginName; Envoy: root_id). */
  rootId: string;
  /** Envoy's plugin name (Istio: namespace.name). */
  pluginName: string;
  /** WASI environment the VM sees (Istio vmConfig.env, Envoy environment_variables). */
  env: Record<string, string>;
  /** Env vars taken from the proxy's host environment: unknown here, named in findings. */
  hostEnv: string[];
  /** Envoy's vm_config.configuration (proxy_on_vm_start). */
  vmConfiguration?: Uint8Array;
  phase?: string;
  priority?: number;
  selector?: Record<string, string>;
  targetRefs: TargetRef[];
  imagePullSecret?: string;
  imagePullPolicy?: string;
  type?: 'HTTP' | 'NETWORK';
  failStrategy?: string;
  /** Envoy only: vm_config.runtime. */
  runtime?: string;
}

export const subjectLabel = (kind: SubjectKind, namespace: string, name: string) =>
  kind === 'EnvoyWasm' ? `EnvoyWasm ${name}` : `${kind} ${namespace}/${name}`;
