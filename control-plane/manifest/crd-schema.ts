import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { packageRoot } from '../package-root.js';
import { EXTENSION_API_VERSION, EXTENSION_KINDS, type ExtensionKind } from './extension.js';

/**
 * Validates WasmPlugin / TrafficExtension manifests against Istio's real CRD schemas
 * (control-plane/crds/extension-crds.yaml, copied unchanged from Istio). An openAPIV3Schema is
 * almost JSON Schema; the differences are handled here:
 * - `x-kubernetes-*` keywords are declared to Ajv as annotations; the CEL rules inside
 *   `x-kubernetes-validations` that matter for extensions are re-implemented in celRules().
 * - `nullable` is understood by Ajv natively; formats `int32` and `date-time` are registered.
 * - metadata is not in the schema (the API server checks it); name/namespace rules are checked here.
 */
export class ManifestError extends Error {
  readonly kind = 'invalid-input' as const;
  constructor(
    message: string,
    readonly origin: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}

let validators: Map<ExtensionKind, ValidateFunction> | undefined;

function load(): Map<ExtensionKind, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const k of [
    'x-kubernetes-validations',
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-list-type',
    'x-kubernetes-int-or-string',
  ])
    ajv.addKeyword({ keyword: k });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  const file = join(packageRoot(), 'control-plane', 'crds', 'extension-crds.yaml');
  const map = new Map<ExtensionKind, ValidateFunction>();
  for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8'))) {
    const crd = doc.toJS() as {
      spec: { names: { kind: ExtensionKind }; versions: { name: string; schema: { openAPIV3Schema: object } }[] };
    };
    const version = crd.spec.versions.find((v) => v.name === 'v1alpha1');
    if (version) map.set(crd.spec.names.kind, ajv.compile(version.schema.openAPIV3Schema));
  }
  validators = map;
  return map;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Throws a ManifestError naming the origin and the first offending field. */
export function validateManifest(doc: unknown, origin: string): asserts doc is Record<string, any> {
  const fail = (field: string, msg: string): never => {
    throw new ManifestError(`${origin}: ${describe(doc)}field ${field} ${msg}`, origin, field);
  };
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new ManifestError(
      `${origin}: expected a Kubernetes object (a mapping with apiVersion, kind, metadata, spec)`,
      origin,
    );
  const d = doc as Record<string, any>;
  if (d.apiVersion !== EXTENSION_API_VERSION)
    fail('apiVersion', `must be "${EXTENSION_API_VERSION}" (got ${JSON.stringify(d.apiVersion)})`);
  if (!(EXTENSION_KINDS as readonly string[]).includes(d.kind))
    fail('kind', `must be one of ${EXTENSION_KINDS.join(', ')} (got ${JSON.stringify(d.kind)})`);
  const name = d.metadata?.name;
  if (typeof name !== 'string' || !DNS1123_SUBDOMAIN.test(name) || name.length > 253)
    fail('metadata.name', `must be a lower-case DNS-1123 name (got ${JSON.stringify(name)})`);
  const ns = d.metadata?.namespace;
  if (ns !== undefined && (typeof ns !== 'string' || !DNS1123_LABEL.test(ns) || ns.length > 63))
    fail('metadata.namespace', `must be a lower-case DNS-1123 label (got ${JSON.stringify(ns)})`);
  const validate = load().get(d.kind as ExtensionKind)!;
  if (!validate({ spec: d.spec, ...(d.status ? { status: d.status } : {}) })) {
    const err = pickError(validate.errors ?? []);
    fail(fieldOf(err), messageOf(err));
  }
  for (const [field, msg] of celRules(d)) fail(field, msg);
}

function describe(doc: unknown): string {
  const d = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof d?.kind !== 'string' || typeof d?.metadata?.name !== 'string') return '';
  return `${d.kind} ${d.metadata.namespace ?? 'default'}/${d.metadata.name}: `;
}

/** oneOf failures report every branch; the most specific error (deepest path) reads best. */
function pickError(errors: ErrorObject[]): ErrorObject {
  const real = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'not');
  const pool = real.length
    ? real
    : errors
        .filter((e) => e.keyword === 'oneOf')
        .concat(errors)
        .slice(0, 1);
  return pool.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a));
}

function fieldOf(e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  if (e.keyword === 'required')
    return `${path ? path + '.' : ''}${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties')
    return `${path ? path + '.' : ''}${(e.params as { additionalProperty: string }).additionalProperty}`;
  return path || 'spec';
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === 'enum')
    return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.filter((v) => !String(v).startsWith('UN')).join(', ')}`;
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'oneOf') return 'must set exactly one of wasm or lua';
  return e.message ?? 'is invalid';
}

/** The CEL rules of the CRDs (x-kubernetes-validations) that an API server would enforce. */
function celRules(d: Record<string, any>): [string, string][] {
  const spec = d.spec ?? {};
  const out: [string, string][] = [];
  const set = ['selector', 'targetRef', 'targetRefs'].filter((k) => spec[k] !== undefined);
  if (set.length > 1)
    out.push([
      `spec.${set[1]}`,
      `cannot be set together with spec.${set[0]}: only one of targetRefs or selector can be set`,
    ]);
  if (d.kind === 'TrafficExtension' && (spec.wasm === undefined) === (spec.lua === undefined))
    out.push(['spec.wasm', 'exactly one of wasm or lua must be set']);
  for (const [k, v] of Object.entries<string>(spec.selector?.matchLabels ?? {})) {
    if (k.length === 0) out.push(['spec.selector.matchLabels', 'key must not be empty']);
    if (k.includes('*')) out.push([`spec.selector.matchLabels.${k}`, 'wildcard not allowed in label key match']);
    if (String(v).includes('*'))
      out.push([`spec.selector.matchLabels.${k}`, 'wildcard not allowed in label value match']);
  }
  const refs = [
    ...(spec.targetRef ? [['spec.targetRef', spec.targetRef]] : []),
    ...((spec.targetRefs ?? []) as unknown[]).map((r, i) => [`spec.targetRefs[${i}]`, r]),
  ] as [string, { namespace?: string }][];
  for (const [f, r] of refs)
    if (r.namespace) out.push([`${f}.namespace`, 'cross namespace referencing is not currently supported']);
  const wasm = d.kind === 'TrafficExtension' ? spec.wasm : spec;
  const url: unknown = wasm?.url;
  if (typeof url === 'string') {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
    if (m && !['http', 'https', 'file', 'oci'].includes(m[1]!.toLowerCase())) {
      out.push([
        d.kind === 'TrafficExtension' ? 'spec.wasm.url' : 'spec.url',
        'url must have schema one of [http, https, file, oci]',
      ]);
    }
  }
  for (const [i, env] of ((wasm?.vmConfig?.env ?? []) as EnvLike[]).entries()) {
    if (env.valueFrom === 'HOST' && env.value !== undefined)
      out.push([`vmConfig.env[${i}].value`, 'value may only be set when valueFrom is INLINE']);
  }
  return out;
}
type EnvLike = { valueFrom?: string; value?: string };
