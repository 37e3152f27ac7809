import { defaultDeadlineMs } from './client/deadline.js';
import type { ImageManifest } from './content/descriptor.js';
import { RegistryError } from './errors.js';
import type { ImageFormat } from './formats/packed-image.js';
import { metadataFromConfig, moduleFromLayer, parseManifest, recognizeImage } from './formats/read-image.js';
import { defaultMaxBytes, openTarget, type TargetOptions } from './open-target.js';
import { fetchManifest } from './pull.js';
import { referenceString } from './reference.js';

/**
 * What a checker needs to judge an image the way Istio's fetcher would: the raw manifest and
 * its digest always, then either the recognized layout with the module, or the reason the
 * layout or the module layer was refused. Unlike pullModule, a refused layout is an answer
 * here, not an exception; only failures to reach the manifest at all (auth, not found,
 * network) throw.
 */
export interface ImageExamination {
  reference: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** The manifest exactly as the registry served it. */
  manifestBytes: Uint8Array;
  /** Parsed manifest, when it is an OCI or Docker v2 image manifest. */
  manifest?: ImageManifest;
  /** Set when the layout is one Istio loads. */
  format?: ImageFormat;
  /** The module bytes, when the layout was recognized and the module layer unpacked. */
  module?: Uint8Array;
  /** Why the manifest or its layout is refused (Istio's "unknown wasm image format", an index, ...). */
  layoutError?: RegistryError;
  /** Why the module layer could not be read (bad gzip, no plugin.wasm, oversized). */
  moduleError?: RegistryError;
  /** Root ids and ABI versions recorded in the image config at push time, if any. */
  rootIds?: string[];
  abiVersions?: string[];
}

export async function examineImage(ref: string, opts: TargetOptions = {}): Promise<ImageExamination> {
  // analyze must end even against a stalled registry: the same overall deadline as pull.
  const { ref: parsed, target } = openTarget(ref, { ...opts, deadlineMs: opts.deadlineMs ?? defaultDeadlineMs });
  const what = referenceString(parsed);
  const { desc, bytes } = await fetchManifest(target, parsed);
  const out: ImageExamination = {
    reference: what,
    manifestDigest: desc.digest,
    manifestMediaType: desc.mediaType,
    manifestBytes: bytes,
  };
  let image: ReturnType<typeof recognizeImage> | undefined;
  try {
    out.manifest = parseManifest(bytes, desc.mediaType, what);
    image = recognizeImage(out.manifest, what);
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    out.layoutError = err;
    return out;
  }
  out.format = image.format;
  try {
    out.module = moduleFromLayer(
      image.format,
      await target.fetch(image.moduleLayer),
      opts.maxBytes ?? defaultMaxBytes,
      what,
    );
  } catch (err) {
    if (!(err instanceof RegistryError) || err.kind === 'auth' || err.kind === 'remote') throw err;
    out.moduleError = err;
  }
  const cfg = image.manifest.config;
  if (cfg.size <= 1 << 20 && cfg.mediaType !== 'application/vnd.oci.empty.v1+json') {
    try {
      const meta = metadataFromConfig(image.format, await target.fetch(cfg));
      out.rootIds = meta.rootIds;
      out.abiVersions = meta.abiVersions;
    } catch {
      /* metadata is a hint only; a missing config blob shows up when the proxy pulls */
    }
  }
  return out;
}
