import type { Descriptor } from './content/descriptor.js';
import type { CopyHooks, Target } from './content/target.js';
import { RemoteRepository } from './client/remote-repository.js';
import { sha256Hex } from './digest.js';
import { RegistryError } from './errors.js';
import type { ImageFormat } from './formats/packed-image.js';
import { metadataFromConfig, moduleFromLayer, parseManifest, recognizeImage } from './formats/read-image.js';
import { inspectWasmModule } from './formats/wasm-module.js';
import { defaultMaxBytes, openTarget, type TargetOptions } from './open-target.js';
import { defaultDeadlineMs } from './client/deadline.js';
import { pinnedString, referenceString, type Reference } from './reference.js';

export interface PullOptions extends TargetOptions {
  /** Progress hooks. Default none. */
  hooks?: CopyHooks;
  /**
   * The manifest digest the caller expects (hex or `sha256:hex`), e.g. a WasmPlugin's `sha256` for a
   * tag reference. Checked before any layer is downloaded; a mismatch is an 'integrity' error. Default none.
   */
  expectedManifestDigest?: string;
}

export interface PulledModule {
  module: Uint8Array;
  reference: string;
  /** sha256:... of the manifest pulled. */
  manifestDigest: string;
  /** Hex sha256 of the module. */
  moduleSha256: string;
  pinned: string;
  format: ImageFormat;
  /** From the image config when recorded there, else from the module's exports. */
  abiVersions?: string[];
  rootIds?: string[];
}

/** The manifest a reference names: one GET on a registry, resolve + read on a layout. */
export async function fetchManifest(target: Target, ref: Reference): Promise<{ desc: Descriptor; bytes: Uint8Array }> {
  const reference = ref.digest ?? ref.tag ?? 'latest';
  if (target instanceof RemoteRepository) {
    const m = await target.fetchManifest(reference);
    return { desc: m.descriptor, bytes: m.bytes };
  }
  const desc = await target.resolve(reference);
  return { desc, bytes: await target.fetch(desc) };
}

/**
 * Pulls a module from any of the three layouts Istio loads. Every byte is digest-checked and
 * the module validated before it is returned; nothing is written to disk here.
 */
export async function pullModule(ref: string, opts: PullOptions = {}): Promise<PulledModule> {
  // One deadline for the whole pull (manifest, layer, config, retries): a dripping registry ends.
  const { ref: parsed, target } = openTarget(ref, {
    operation: 'pull',
    ...opts,
    deadlineMs: opts.deadlineMs ?? defaultDeadlineMs,
  });
  const what = `pull: ${referenceString(parsed)}`;
  const { desc, bytes } = await fetchManifest(target, parsed);
  if (opts.expectedManifestDigest !== undefined) {
    const expected = opts.expectedManifestDigest.startsWith('sha256:')
      ? opts.expectedManifestDigest
      : `sha256:${opts.expectedManifestDigest}`;
    if (expected.toLowerCase() !== desc.digest) {
      throw new RegistryError(
        'integrity',
        `${what} resolved to manifest ${desc.digest}, but ${expected} was expected; the tag moved or the expected sha256 is wrong (for oci:// urls it is the manifest digest, not the module's sha256)`,
      );
    }
  }
  const image = recognizeImage(parseManifest(bytes, desc.mediaType, what), what);
  opts.hooks?.onUpload?.(image.moduleLayer);
  const layer = await target.fetch(image.moduleLayer);
  opts.hooks?.onDone?.(image.moduleLayer);
  const module = moduleFromLayer(image.format, layer, opts.maxBytes ?? defaultMaxBytes, what);
  const info = inspectWasmModule(module, `${what}: the pulled module`);
  let meta: { abiVersions?: string[]; rootIds?: string[] } = {};
  const configDesc = image.manifest.config;
  if (configDesc.size <= 1 << 20 && configDesc.mediaType !== 'application/vnd.oci.empty.v1+json') {
    meta = metadataFromConfig(image.format, await target.fetch(configDesc));
  }
  return {
    module,
    reference: referenceString(parsed),
    manifestDigest: desc.digest,
    moduleSha256: sha256Hex(module),
    pinned: pinnedString(parsed, desc.digest),
    format: image.format,
    abiVersions: meta.abiVersions?.length ? meta.abiVersions : info.abiVersions,
    rootIds: meta.rootIds,
  };
}

/** The manifest digest a tag points at now (HEAD on a registry). */
export async function resolveDigest(ref: string, opts: TargetOptions = {}): Promise<string> {
  const { ref: parsed, target } = openTarget(ref, {
    operation: 'resolve',
    ...opts,
    deadlineMs: opts.deadlineMs ?? defaultDeadlineMs,
  });
  return (await target.resolve(parsed.digest ?? parsed.tag ?? 'latest')).digest;
}
