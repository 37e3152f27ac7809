import {
  envoyExtensionPolicyToExtensions,
  isEnvoyExtensionPolicy,
  ManifestError,
  validateEnvoyExtensionPolicy,
} from '../control-plane/index.js';
import { finding, type Finding } from './finding.js';
import type { InputDoc } from './inputs.js';
import { subjectLabel, type Subject } from './subject.js';

export const isEnvoyGatewayDoc = (d: InputDoc) => isEnvoyExtensionPolicy(d.doc);

/**
 * Envoy Gateway's EnvoyExtensionPolicy: the schema check (MW0001) with the control plane's
 * validator against the real CRD, then one Subject per spec.wasm[] entry, converted as the
 * control plane converts them, so the module checks run on exactly what would be served.
 */
export function envoyGatewaySubjects(docs: InputDoc[]): { subjects: Subject[]; findings: Finding[] } {
  const subjects: Subject[] = [];
  const findings: Finding[] = [];
  for (const d of docs.filter(isEnvoyGatewayDoc)) {
    const ns = d.doc.metadata?.namespace || 'default';
    try {
      validateEnvoyExtensionPolicy(d.doc, d.where);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      const label = subjectLabel('EnvoyExtensionPolicy', ns, d.doc.metadata?.name ?? '(unnamed)');
      findings.push(finding('MW0001', { label, origin: d.where }, err.message, { field: err.field }));
      continue;
    }
    for (const e of envoyExtensionPolicyToExtensions(d.doc, d.where)) {
      subjects.push({
        kind: 'EnvoyExtensionPolicy',
        namespace: e.namespace,
        name: e.name,
        label: subjectLabel('EnvoyExtensionPolicy', e.namespace, e.name),
        origin: d.where,
        url: e.url,
        sha256: e.sha256,
        configuration:
          e.pluginConfig === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(e.pluginConfig)),
        rootId: e.pluginName,
        pluginName: e.resourceName,
        env: {},
        hostEnv: e.env.map((v) => v.name),
        targetRefs: e.targetRefs,
        imagePullSecret: e.imagePullSecret,
        imagePullPolicy: e.imagePullPolicy === 'Default' ? undefined : e.imagePullPolicy,
        type: 'HTTP',
        failStrategy: e.failStrategy,
      });
    }
  }
  return { subjects, findings };
}
