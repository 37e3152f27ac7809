import { Annotation, MediaType } from '../media-types.js';
import { blob, jsonBytes, packManifest, type PackedImage } from './packed-image.js';

export interface ImageMetadata {
  /** proxy-wasm ABI versions (`0.2.1`) read from the module's exports. */
  abiVersions: string[];
  /** Root ids the module registers; given by the user (there is no reliable way to read them). */
  rootIds: string[];
  /** Manifest annotations, e.g. org.opencontainers.image.source. */
  annotations?: Record<string, string>;
}

/** The runtime config Solo's wasm image spec defines, `type: envoy_proxy`. */
export interface WasmRuntimeConfig {
  type: string;
  abiVersions?: string[];
  config?: { root_ids?: string[] };
}

/**
 * The wasm OCI variant (Solo's spec, what Istio's fetcher calls the OCI artifact image): exactly
 * two layers, the runtime config JSON then the raw module (the order of Solo's spec example). Istio's
 * fetcher, and Envoy Gateway's derived from it, check for exactly two layers, one of them
 * application/vnd.module.wasm.content.layer.v1+wasm. The manifest's config descriptor points at
 * the same JSON with the wasm config type.
 */
export function buildWasmImage(module: Uint8Array, meta: ImageMetadata): PackedImage {
  const runtime: WasmRuntimeConfig = {
    type: 'envoy_proxy',
    abiVersions: meta.abiVersions,
    config: { root_ids: meta.rootIds },
  };
  const config = blob(MediaType.wasmConfig, jsonBytes(runtime));
  const configLayer = {
    desc: { ...config.desc, annotations: { [Annotation.title]: 'runtime-config.json' } },
    bytes: config.bytes,
  };
  const content = blob(MediaType.wasmContentLayer, module, { [Annotation.title]: 'plugin.wasm' });
  const manifest = packManifest({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: config.desc,
    layers: [configLayer.desc, content.desc],
    ...(meta.annotations && Object.keys(meta.annotations).length ? { annotations: meta.annotations } : {}),
  });
  return { format: 'wasm', blobs: [config, content], manifest, moduleLayer: content.desc };
}
