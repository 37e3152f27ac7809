import { defaultDeadlineMs } from './client/deadline.js';
import { fetchManifest } from './pull.js';
import { sha256Hex } from './digest.js';
import { Annotation } from './media-types.js';
import type { ImageFormat } from './formats/packed-image.js';
import { metadataFromConfig, moduleFromLayer, parseManifest, recognizeImage } from './formats/read-image.js';
import { inspectWasmModule } from './formats/wasm-module.js';
import { defaultMaxBytes, openTarget, type TargetOptions } from './open-target.js';
import { pinnedString, referenceString } from './reference.js';

export interface ImageInfo {
  reference: string;
  pinned: string;
  manifestDigest: string;
  manifestMediaType: string;
  manifestSize: number;
  format: ImageFormat;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number; title?: string }[];
  annotations: Record<string, string>;
  moduleSha256: string;
  moduleSize: number;
  abiVersions: string[];
  rootIds: string[];
  /** Whether Istio's fetcher and Envoy Gateway can load this layout (all three recognized ones can). */
  loadableByIstio: boolean;
}

/** Everything a user checks before attaching an image: format, media types, sizes, ABI, root ids, both digests. */
export async function inspectImage(ref: string, opts: TargetOptions = {}): Promise<ImageInfo> {
  const { ref: parsed, target } = openTarget(ref, {
    operation: 'inspect',
    ...opts,
    deadlineMs: opts.deadlineMs ?? defaultDeadlineMs,
  });
  const what = `inspect: ${referenceString(parsed)}`;
  const { desc, bytes } = await fetchManifest(target, parsed);
  const image = recognizeImage(parseManifest(bytes, desc.mediaType, what), what);
  const module = moduleFromLayer(
    image.format,
    await target.fetch(image.moduleLayer),
    opts.maxBytes ?? defaultMaxBytes,
    what,
  );
  const info = inspectWasmModule(module, `${what}: the module`);
  const cfg = image.manifest.config;
  const meta = cfg.size <= 1 << 20 ? metadataFromConfig(image.format, await target.fetch(cfg)) : {};
  return {
    reference: referenceString(parsed),
    pinned: pinnedString(parsed, desc.digest),
    manifestDigest: desc.digest,
    manifestMediaType: desc.mediaType,
    manifestSize: desc.size,
    format: image.format,
    config: { mediaType: cfg.mediaType, digest: cfg.digest, size: cfg.size },
    layers: image.manifest.layers.map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(l.annotations?.[Annotation.title] ? { title: l.annotations[Annotation.title] } : {}),
    })),
    annotations: image.manifest.annotations ?? {},
    moduleSha256: sha256Hex(module),
    moduleSize: module.byteLength,
    abiVersions: info.abiVersions.length ? info.abiVersions : (meta.abiVersions ?? []),
    rootIds: meta.rootIds ?? [],
    loadableByIstio: true,
  };
}
