import type { Descriptor, ImageManifest } from '../content/descriptor.js';
import { sha256Digest } from '../digest.js';
import { MediaType } from '../media-types.js';

export type ImageFormat = 'wasm' | 'compat' | 'docker';

/** An image ready to copy into a Target: its blobs, then its manifest. */
export interface PackedImage {
  format: ImageFormat;
  blobs: { desc: Descriptor; bytes: Uint8Array }[];
  manifest: { desc: Descriptor; bytes: Uint8Array };
  /** The descriptor of the layer that carries the module (wasm) or the tar holding it (compat). */
  moduleLayer: Descriptor;
}

export function blob(
  mediaType: string,
  bytes: Uint8Array,
  annotations?: Record<string, string>,
): { desc: Descriptor; bytes: Uint8Array } {
  return {
    desc: { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength, ...(annotations ? { annotations } : {}) },
    bytes,
  };
}

/** Serializes a manifest once: these exact bytes are hashed, pushed, and named by the digest users pin. */
export function packManifest(m: ImageManifest): { desc: Descriptor; bytes: Uint8Array } {
  const bytes = new Uint8Array(Buffer.from(JSON.stringify(m)));
  return {
    desc: { mediaType: m.mediaType ?? MediaType.ociManifest, digest: sha256Digest(bytes), size: bytes.byteLength },
    bytes,
  };
}

export function jsonBytes(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value)));
}
