import { ManifestError, validateManifest } from '../control-plane/index.js';
import type { InputDoc } from './inputs.js';

/**
 * Schema check of an extension document before analyze reads it: the control plane's
 * validator against Istio's real CRD schemas, so analyze, attach and the control plane
 * agree on what a valid manifest is.
 */
export function schemaProblem(d: InputDoc): { field: string; message: string } | undefined {
  try {
    validateManifest(d.doc, d.where);
    return undefined;
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    const field = err.field ?? '';
    // The most common sha256 mistake gets its own hint: registries print digests with the prefix.
    const spec = d.doc.kind === 'TrafficExtension' ? d.doc.spec?.wasm : d.doc.spec;
    const hint =
      field.endsWith('sha256') && String(spec?.sha256 ?? '').startsWith('sha256:')
        ? '; write the 64 hex digits without "sha256:"'
        : '';
    return { field, message: err.message + hint };
  }
}
