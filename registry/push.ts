import type { CopyHooks } from './content/target.js';
import { copyImage } from './copy.js';
import { sha256Hex } from './digest.js';
import { RegistryError } from './errors.js';
import { buildCompatImage } from './formats/compat-image.js';
import { buildWasmImage } from './formats/wasm-image.js';
import { inspectWasmModule } from './formats/wasm-module.js';
import { openTarget, type TargetOptions } from './open-target.js';
import { pinnedString, referenceString } from './reference.js';

export interface PushOptions extends TargetOptions {
  /** Image layout. Default 'wasm' (the two-layer wasm OCI variant); 'compat' is an OCI image with plugin.wasm in a tar+gzip layer. */
  format?: 'wasm' | 'compat';
  /** Manifest annotations. Default none. */
  annotations?: Record<string, string>;
  /** Root ids the module registers, recorded in the image config. Default none. */
  rootIds?: string[];
  /** Progress hooks. Default none. */
  hooks?: CopyHooks;
}

export interface PushResult {
  /** The reference pushed to, as given (normalized). */
  reference: string;
  /** sha256:... of the manifest: pin it as `oci://repo@sha256:...`. */
  manifestDigest: string;
  /** The manifest digest's hex alone: what WasmPlugin/TrafficExtension `sha256` wants with an oci:// url. */
  manifestSha256: string;
  /** Hex sha256 of the .wasm itself: what WasmPlugin `sha256` wants with an http(s):// url, and Envoy's remote code sha256. */
  moduleSha256: string;
  /** `repository@sha256:...`: the reference to deploy, immune to tag moves. */
  pinned: string;
  format: 'wasm' | 'compat';
  /** Manifest media type. */
  mediaType: string;
  /** Module size in bytes. */
  size: number;
  abiVersions: string[];
  rootIds: string[];
  /** Digests of blobs uploaded, and of those the target already had. */
  uploaded: string[];
  skipped: string[];
}

export async function pushModule(wasm: Uint8Array, ref: string, opts: PushOptions = {}): Promise<PushResult> {
  const info = inspectWasmModule(wasm, 'push: the module');
  if (info.abiVersions.length === 0) {
    throw new RegistryError(
      'invalid-input',
      `push: the module exports no proxy_abi_version_* function, so Envoy would refuse it; build it with a proxy-wasm SDK (meshwasm build)`,
    );
  }
  const { ref: parsed, target } = openTarget(ref, { operation: 'push', ...opts });
  if (!parsed.tag && parsed.digest)
    throw new RegistryError(
      'invalid-input',
      `push: reference "${ref}" names a digest; push to a tag (the digest is computed from what is pushed)`,
    );
  const meta = { abiVersions: info.abiVersions, rootIds: opts.rootIds ?? [], annotations: opts.annotations };
  const format = opts.format ?? 'wasm';
  if (format !== 'wasm' && format !== 'compat')
    throw new RegistryError('invalid-input', `push: format "${String(format)}" is unknown; use wasm or compat`);
  const image = format === 'compat' ? buildCompatImage(wasm, meta) : buildWasmImage(wasm, meta);
  const report = await copyImage(image, target, parsed.tag, opts.hooks);
  return {
    reference: referenceString(parsed),
    manifestDigest: image.manifest.desc.digest,
    manifestSha256: image.manifest.desc.digest.slice('sha256:'.length),
    moduleSha256: sha256Hex(wasm),
    pinned: pinnedString(parsed, image.manifest.desc.digest),
    format,
    mediaType: image.manifest.desc.mediaType,
    size: wasm.byteLength,
    abiVersions: info.abiVersions,
    rootIds: meta.rootIds,
    ...report,
  };
}
