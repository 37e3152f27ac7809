import type { InputDoc } from './inputs.js';
import { subjectLabel, type Subject, type TargetRef } from './subject.js';

export const EXTENSION_GROUP = 'extensions.istio.io';
export const EXTENSION_KINDS = ['WasmPlugin', 'TrafficExtension'];

export function isExtensionDoc(d: InputDoc): boolean {
  const api = d.doc.apiVersion;
  return typeof api === 'string' && api.startsWith(EXTENSION_GROUP + '/') && EXTENSION_KINDS.includes(d.doc.kind);
}

/**
 * Converts a WasmPlugin or TrafficExtension (already schema-checked) into a Subject, the way
 * istiod turns it into Envoy's filter config: the plugin name is namespace.name, the root id
 * is pluginName, pluginConfig goes to on_configure as JSON text, vmConfig.env becomes the VM's
 * environment (INLINE values; HOST values come from the proxy and are unknown here).
 */
export function extensionSubject(d: InputDoc, defaultNamespace = 'default'): Subject {
  const doc = d.doc;
  const kind = doc.kind as 'WasmPlugin' | 'TrafficExtension';
  const spec: Record<string, any> = doc.spec ?? {};
  // TrafficExtension nests the wasm fields under spec.wasm; WasmPlugin keeps them at the top.
  const wasm: Record<string, any> = kind === 'TrafficExtension' ? (spec.wasm ?? {}) : spec;
  const namespace: string = doc.metadata?.namespace || defaultNamespace;
  const name: string = doc.metadata?.name ?? '(unnamed)';
  const env: Record<string, string> = {};
  const hostEnv: string[] = [];
  for (const e of (wasm.vmConfig?.env ?? []) as { name: string; value?: string; valueFrom?: string }[]) {
    if (e.valueFrom === 'HOST') hostEnv.push(e.name);
    else env[e.name] = e.value ?? '';
  }
  const targetRefs: TargetRef[] = [...(spec.targetRef ? [spec.targetRef] : []), ...(spec.targetRefs ?? [])];
  const cfg = wasm.pluginConfig;
  return {
    kind,
    namespace,
    name,
    label: subjectLabel(kind, namespace, name),
    origin: d.where,
    url: String(wasm.url ?? ''),
    sha256: String(wasm.sha256 ?? ''),
    configuration: cfg === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(cfg)),
    rootId: String(wasm.pluginName ?? ''),
    pluginName: `${namespace}.${name}`,
    env,
    hostEnv,
    phase: spec.phase ?? 'UNSPECIFIED',
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    selector: spec.selector?.matchLabels ? { ...spec.selector.matchLabels } : undefined,
    targetRefs,
    imagePullSecret: wasm.imagePullSecret || undefined,
    imagePullPolicy: wasm.imagePullPolicy,
    type: wasm.type === 'NETWORK' ? 'NETWORK' : 'HTTP',
    failStrategy: wasm.failStrategy ?? 'FAIL_CLOSE',
  };
}
