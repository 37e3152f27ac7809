import { gzipSync } from 'node:zlib';
import { sha256Digest } from '../digest.js';
import { Annotation, MediaType } from '../media-types.js';
import { blob, jsonBytes, packManifest, type PackedImage } from './packed-image.js';
import { tarSingleFile } from './tar.js';
import type { ImageMetadata } from './wasm-image.js';

/**
 * The compat variant: a plain OCI image whose single tar+gzip layer holds `plugin.wasm`, for
 * registries that refuse custom media types and for docker/podman/skopeo users. ABI versions and
 * root ids ride in the image config's labels so inspect can still show them.
 */
export function buildCompatImage(module: Uint8Array, meta: ImageMetadata): PackedImage {
  const tar = tarSingleFile('plugin.wasm', module);
  // gzip level 9 without a file name or mtime: the same module always gives the same layer digest.
  const layer = blob(MediaType.ociLayerTarGzip, gzipSync(tar, { level: 9 }));
  const imageConfig = {
    architecture: 'wasm',
    os: 'wasip1',
    config: {
      Labels: {
        'module.wasm.image/abi-versions': meta.abiVersions.join(','),
        'module.wasm.image/root-ids': meta.rootIds.join(','),
      },
    },
    rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
  };
  const config = blob(MediaType.ociConfig, jsonBytes(imageConfig));
  const manifest = packManifest({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: config.desc,
    layers: [layer.desc],
    annotations: { ...meta.annotations, [Annotation.wasmVariant]: 'compat' },
  });
  return { format: 'compat', blobs: [config, layer], manifest, moduleLayer: layer.desc };
}
