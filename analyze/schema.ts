import type { InputDoc } from './inputs.js';

/**
 * Schema check of an extension document before analyze reads it. Replaced by the control
 * plane's CRD-schema validator (control-plane/manifest/crd-schema.ts) once that lands;
 * until then only the fields analyze cannot do without are checked.
 */
export function schemaProblem(d: InputDoc): { field: string; message: string } | undefined {
  const doc = d.doc;
  if (!doc.metadata?.name) return { field: 'metadata.name', message: 'metadata.name is required' };
  const spec = doc.spec;
  if (spec === null || typeof spec !== 'object') return { field: 'spec', message: 'spec is required' };
  const wasm = doc.kind === 'TrafficExtension' ? spec.wasm : spec;
  const prefix = doc.kind === 'TrafficExtension' ? 'spec.wasm' : 'spec';
  if (!wasm || typeof wasm.url !== 'string' || wasm.url === '') return { field: `${prefix}.url`, message: `${prefix}.url is required` };
  if (wasm.sha256 !== undefined && !/^(|[a-f0-9]{64})$/.test(String(wasm.sha256))) {
    return { field: `${prefix}.sha256`, message: `${prefix}.sha256 must be 64 lowercase hex characters without "sha256:" (got "${wasm.sha256}")` };
  }
  if (spec.priority !== undefined && !Number.isInteger(spec.priority)) return { field: 'spec.priority', message: 'spec.priority must be an integer' };
  return undefined;
}
