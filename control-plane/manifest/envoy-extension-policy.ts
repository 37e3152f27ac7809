import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { packageRoot } from '../package-root.js';
import { ManifestError } from './crd-schema.js';
import type { Extension, TargetRef } from './extension.js';

/**
 * Envoy Gateway's EnvoyExtensionPolicy (gateway.envoyproxy.io/v1alpha1): validated against its
 * real CRD schema (control-plane/crds/envoy-gateway-envoyextensionpolicies.json, converted unchanged from
 * envoyproxy/gateway) plus the CEL rules that decide what Wasm entries mean, and turned into one
 * Extension per spec.wasm[] entry, so the directory source, the control plane and analyze treat
 * its Wasm extensions like Istio's. Lua, extProc and dynamic modules in the same policy are
 * valid but not ours to distribute: they are left alone.
 */
export const EG_API_VERSION = 'gateway.envoyproxy.io/v1alpha1';
export const EG_KIND = 'EnvoyExtensionPolicy';
const TARGET_KINDS = ['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute'];
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

type Obj = Record<string, any>;
let validator: ValidateFunction | undefined;

function load(): ValidateFunction {
  if (validator) return validator;
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const k of [
    'x-kubernetes-validations',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-list-type',
    'x-kubernetes-int-or-string',
    'x-kubernetes-map-type',
  ])
    ajv.addKeyword({ keyword: k });
  for (const f of ['int32', 'int64', 'date-time', 'duration', 'uri', 'byte'])
    ajv.addFormat(f, { validate: () => true });
  const file = join(packageRoot(), 'control-plane', 'crds', 'envoy-gateway-envoyextensionpolicies.json');
  const crd = JSON.parse(readFileSync(file, 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Obj } }[] };
  };
  const schema = crd.spec.versions.find((v) => v.name === 'v1alpha1')!.schema.openAPIV3Schema;
  validator = ajv.compile({ type: 'object', properties: { spec: schema.properties!.spec } });
  return validator;
}

export function isEnvoyExtensionPolicy(doc: unknown): boolean {
  const d = doc as Obj | null;
  return !!d && typeof d === 'object' && d.apiVersion === EG_API_VERSION && d.kind === EG_KIND;
}

/** Throws a ManifestError naming the origin and the field, as validateManifest does for Istio's kinds. */
export function validateEnvoyExtensionPolicy(doc: Obj, origin: string): void {
  const label = `${EG_KIND} ${doc.metadata?.namespace ?? 'default'}/${doc.metadata?.name ?? '(unnamed)'}`;
  const fail = (field: string, msg: string): never => {
    throw new ManifestError(`${origin}: ${label}: field ${field} ${msg}`, origin, field);
  };
  if (typeof doc.metadata?.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(doc.metadata.name))
    fail('metadata.name', `must be a lower-case DNS-1123 name (got ${JSON.stringify(doc.metadata?.name)})`);
  const validate = load();
  if (!validate({ spec: doc.spec })) {
    const e = validate.errors![0]!;
    const path = e.instancePath
      .replace(/^\//, '')
      .replace(/\/(\d+)/g, '[$1]')
      .replaceAll('/', '.');
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    fail(missing ? `${path ? `${path}.` : ''}${missing}` : path || 'spec', e.message ?? 'is invalid');
  }
  // The CEL rules of the CRD that matter here (x-kubernetes-validations, re-implemented).
  const spec: Obj = doc.spec;
  const refs: Obj[] = [...(spec.targetRef ? [spec.targetRef] : []), ...(spec.targetRefs ?? [])];
  const selectors = Array.isArray(spec.targetSelectors) && spec.targetSelectors.length > 0;
  if (!selectors && !!spec.targetRef === !!spec.targetRefs)
    fail('spec.targetRefs', 'either targetRef or targetRefs must be used');
  for (const [i, r] of refs.entries()) {
    if (r.group !== GATEWAY_GROUP) fail(`spec.targetRefs[${i}].group`, `must be ${GATEWAY_GROUP}`);
    if (!TARGET_KINDS.includes(r.kind)) fail(`spec.targetRefs[${i}].kind`, `must be one of ${TARGET_KINDS.join(', ')}`);
  }
  for (const [i, w] of ((spec.wasm ?? []) as Obj[]).entries()) {
    const t = w.code?.type;
    if (t === 'HTTP' && !w.code.http) fail(`spec.wasm[${i}].code.http`, 'must be set when type is HTTP');
    if (t === 'Image' && !w.code.image) fail(`spec.wasm[${i}].code.image`, 'must be set when type is Image');
    if (t !== 'HTTP' && w.code?.http) fail(`spec.wasm[${i}].code.http`, `must not be set when type is ${t}`);
    if (t !== 'Image' && w.code?.image) fail(`spec.wasm[${i}].code.image`, `must not be set when type is ${t}`);
    if (t === 'ConfigMap') fail(`spec.wasm[${i}].code.type`, 'ConfigMap code is not supported here; use HTTP or Image');
    const sha = (w.code?.image ?? w.code?.http)?.sha256;
    if (sha !== undefined && !/^[a-f0-9]{64}$/.test(sha))
      fail(`spec.wasm[${i}].code.${t === 'HTTP' ? 'http' : 'image'}.sha256`, 'must be 64 lower-case hex digits');
  }
}

/**
 * One Extension per spec.wasm[] entry, in list order (Envoy Gateway runs them in that order:
 * earlier entries get a higher priority here). Image code becomes an oci:// url; its sha256 is
 * the image's manifest digest, as for Istio. failOpen maps to FAIL_OPEN, else FAIL_CLOSE.
 */
export function envoyExtensionPolicyToExtensions(doc: Obj, origin: string, defaultNamespace = 'default'): Extension[] {
  const namespace: string = doc.metadata?.namespace || defaultNamespace;
  const policy: string = doc.metadata.name;
  const spec: Obj = doc.spec ?? {};
  const targetRefs: TargetRef[] = [...(spec.targetRef ? [spec.targetRef] : []), ...(spec.targetRefs ?? [])];
  const wasm = (spec.wasm ?? []) as Obj[];
  return wasm.map((w, i) => {
    const image: Obj | undefined = w.code.type === 'Image' ? w.code.image : undefined;
    const code: Obj = image ?? w.code.http;
    const url = image ? (String(code.url).startsWith('oci://') ? code.url : `oci://${code.url}`) : code.url;
    const name = `${policy}-${w.name ?? i}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
    return {
      kind: EG_KIND,
      namespace,
      name,
      // Envoy Gateway names its filter envoyextensionpolicy/<namespace>/<name>/wasm/<index>.
      resourceName: `envoyextensionpolicy/${namespace}/${policy}/wasm/${i}`,
      url,
      sha256: code.sha256 ?? '',
      phase: 'UNSPECIFIED',
      priority: wasm.length - i,
      targetRefs,
      pluginConfig: w.config,
      pluginName: w.rootID ?? '',
      failStrategy: w.failOpen ? 'FAIL_OPEN' : 'FAIL_CLOSE',
      imagePullPolicy:
        w.code.pullPolicy === 'Always' || w.code.pullPolicy === 'IfNotPresent' ? w.code.pullPolicy : 'Default',
      imagePullSecret: image?.pullSecretRef?.name,
      type: 'HTTP',
      env: ((w.env?.hostKeys ?? []) as string[]).map((k) => ({ name: k, valueFrom: 'HOST' as const })),
      origin,
      generation: doc.metadata?.generation,
      resourceVersion: doc.metadata?.resourceVersion,
      creationTimestamp: doc.metadata?.creationTimestamp,
    } satisfies Extension;
  });
}
