import { gunzipSync } from 'node:zlib';
import type { Descriptor, ImageManifest } from '../content/descriptor.js';
import { RegistryError } from '../errors.js';
import { MediaType } from '../media-types.js';
import type { ImageFormat } from './packed-image.js';
import { readTar } from './tar.js';
import type { WasmRuntimeConfig } from './wasm-image.js';

/** Which of the three layouts Istio's fetcher accepts a manifest is in, and the layer that holds the module. */
export interface RecognizedImage {
  format: ImageFormat;
  manifest: ImageManifest;
  moduleLayer: Descriptor;
}

export function parseManifest(bytes: Uint8Array, mediaType: string, what: string): ImageManifest {
  let m: ImageManifest & { manifests?: unknown; schemaVersion?: number };
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof m;
  } catch {
    throw new RegistryError('invalid-input', `${what}: the manifest is not JSON (media type "${mediaType}")`);
  }
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList || Array.isArray(m.manifests)) {
    throw new RegistryError(
      'invalid-input',
      `${what} is an image index (${mediaType}), not a single image; Istio loads single-image manifests: pull one of its manifests by digest`,
    );
  }
  if (m.schemaVersion !== 2 || !m.config || !Array.isArray(m.layers)) {
    throw new RegistryError(
      'invalid-input',
      `${what}: manifest format "${mediaType || m.mediaType || 'unknown'}" (schemaVersion ${m.schemaVersion ?? 'missing'}) is not an OCI or Docker v2 image manifest`,
    );
  }
  return { ...m, mediaType: m.mediaType ?? mediaType };
}

/** Istio's order: a Docker manifest is read as compat; an OCI one as compat, then as the wasm variant. */
export function recognizeImage(manifest: ImageManifest, what: string): RecognizedImage {
  const layers = manifest.layers;
  const last = layers[layers.length - 1];
  if (manifest.mediaType === MediaType.dockerManifest) {
    if (last?.mediaType === MediaType.dockerLayerTarGzip) return { format: 'docker', manifest, moduleLayer: last };
  } else {
    if (last?.mediaType === MediaType.ociLayerTarGzip) return { format: 'compat', manifest, moduleLayer: last };
    const wasm = layers.find((l) => l.mediaType === MediaType.wasmContentLayer);
    if (layers.length === 2 && wasm) return { format: 'wasm', manifest, moduleLayer: wasm };
  }
  const types = layers.map((l) => l.mediaType).join(', ') || 'no layers';
  throw new RegistryError(
    'invalid-input',
    `${what}: unknown wasm image format: manifest ${manifest.mediaType ?? '(no media type)'} with config ${manifest.config.mediaType} and layers [${types}]; Istio and Envoy Gateway load a Docker or OCI image whose last layer is tar+gzip holding plugin.wasm, or the wasm variant with two layers (${MediaType.wasmConfig}, ${MediaType.wasmContentLayer}); push it again with "meshwasm push"`,
  );
}

/** The module bytes out of the module layer: raw for the wasm variant, `plugin.wasm` from the tar for the others. */
export function moduleFromLayer(format: ImageFormat, layer: Uint8Array, maxBytes: number, what: string): Uint8Array {
  if (format === 'wasm') return layer;
  let tar: Buffer;
  try {
    // maxOutputLength stops a gzip bomb before it fills memory.
    tar = gunzipSync(layer, { maxOutputLength: maxBytes + 64 * 1024 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new RegistryError(
        'invalid-input',
        `${what}: the layer unpacks to more than ${maxBytes} bytes; refused (raise --max-size if you trust this image)`,
      );
    }
    throw new RegistryError('invalid-input', `${what}: the layer is not valid gzip (${(err as Error).message})`);
  }
  const entries = readTar(new Uint8Array(tar.buffer, tar.byteOffset, tar.byteLength), what);
  const found = entries.filter((e) => e.path === 'plugin.wasm' || e.path.endsWith('/plugin.wasm'));
  if (found.length === 0)
    throw new RegistryError(
      'invalid-input',
      `${what}: the layer holds no plugin.wasm (entries: ${
        entries
          .slice(0, 10)
          .map((e) => e.path)
          .join(', ') || 'none'
      })`,
    );
  const entry = found[0]!;
  if (entry.type !== '0' && entry.type !== '\0' && entry.type !== '7') {
    throw new RegistryError(
      'invalid-input',
      `${what}: plugin.wasm in the layer is a link or special file (tar type "${entry.type}"), not a regular file; refused`,
    );
  }
  if (entry.data.byteLength > maxBytes)
    throw new RegistryError(
      'invalid-input',
      `${what}: plugin.wasm is ${entry.data.byteLength} bytes, over the limit of ${maxBytes}; refused`,
    );
  return entry.data;
}

/** ABI versions and root ids recorded at push time: the wasm variant's runtime config, or compat labels. */
export function metadataFromConfig(
  format: ImageFormat,
  config: Uint8Array,
): { abiVersions?: string[]; rootIds?: string[] } {
  try {
    const json = JSON.parse(Buffer.from(config).toString('utf8')) as WasmRuntimeConfig & {
      config?: { Labels?: Record<string, string> } & WasmRuntimeConfig['config'];
    };
    if (format === 'wasm') return { abiVersions: json.abiVersions, rootIds: json.config?.root_ids };
    const labels = json.config?.Labels ?? {};
    const split = (v?: string) => (v === undefined ? undefined : v.split(',').filter(Boolean));
    return {
      abiVersions: split(labels['module.wasm.image/abi-versions']),
      rootIds: split(labels['module.wasm.image/root-ids']),
    };
  } catch {
    return {};
  }
}
