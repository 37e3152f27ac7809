import YAML from 'yaml';
import { validateManifest, ManifestError } from '../manifest/crd-schema.js';
import { EXTENSION_API_VERSION, normalizeExtension, type Extension } from '../manifest/extension.js';
import type { SourceError } from './source.js';
import {
  envoyExtensionPolicyToExtensions,
  isEnvoyExtensionPolicy,
  validateEnvoyExtensionPolicy,
} from '../manifest/envoy-extension-policy.js';

const EXTENSION_GROUP = EXTENSION_API_VERSION.split('/')[0]!;

/**
 * Reads every WasmPlugin/TrafficExtension in a YAML or JSON text (multi-document, or a
 * `kind: List`). Documents of other API groups are skipped: a directory may hold a whole
 * application's manifests. Invalid extension documents become errors naming file and field.
 */
export function parseManifests(text: string, origin: string): { extensions: Extension[]; errors: SourceError[] } {
  const extensions: Extension[] = [];
  const errors: SourceError[] = [];
  let docs: unknown[];
  try {
    docs = YAML.parseAllDocuments(text).map((d) => {
      if (d.errors.length) throw d.errors[0];
      return d.toJS();
    });
  } catch (err) {
    return {
      extensions,
      errors: [{ origin, message: `${origin}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}` }],
    };
  }
  const flat = docs.flatMap((d) =>
    (d as { kind?: string; items?: unknown[] } | null)?.kind === 'List'
      ? ((d as { items: unknown[] }).items ?? [])
      : [d],
  );
  flat.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    const where = flat.length > 1 ? `${origin} (document ${i + 1})` : origin;
    const apiVersion = (doc as { apiVersion?: unknown }).apiVersion;
    if (isEnvoyExtensionPolicy(doc)) {
      try {
        validateEnvoyExtensionPolicy(doc as Record<string, any>, where);
        extensions.push(...envoyExtensionPolicyToExtensions(doc as Record<string, any>, origin));
      } catch (err) {
        if (!(err instanceof ManifestError)) throw err;
        errors.push({ origin: where, message: err.message, field: err.field });
      }
      return;
    }
    if (typeof apiVersion === 'string' && !apiVersion.startsWith(EXTENSION_GROUP + '/')) return;
    try {
      validateManifest(doc, where);
      extensions.push(normalizeExtension(doc, origin));
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      errors.push({ origin: where, message: err.message, field: err.field });
    }
  });
  return { extensions, errors };
}
