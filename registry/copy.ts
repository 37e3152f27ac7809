import type { CopyHooks, Target } from './content/target.js';
import type { PackedImage } from './formats/packed-image.js';

export interface CopyReport {
  uploaded: string[];
  skipped: string[];
}

/**
 * Copies a packed image into a target: each blob only when the target lacks it (so re-pushing an
 * unchanged module uploads nothing), then the manifest under the tag — last, so a failed blob
 * upload never leaves a tag pointing at an incomplete image.
 */
export async function copyImage(
  image: PackedImage,
  target: Target,
  tag: string | undefined,
  hooks: CopyHooks = {},
): Promise<CopyReport> {
  const report: CopyReport = { uploaded: [], skipped: [] };
  for (const b of image.blobs) {
    if (await target.exists(b.desc)) {
      hooks.onSkip?.(b.desc);
      report.skipped.push(b.desc.digest);
      continue;
    }
    hooks.onUpload?.(b.desc);
    await target.push(b.desc, b.bytes);
    hooks.onDone?.(b.desc);
    report.uploaded.push(b.desc.digest);
  }
  const m = image.manifest;
  hooks.onUpload?.(m.desc);
  if (tag) await target.pushTagged(m.desc, m.bytes, tag);
  else await target.push(m.desc, m.bytes);
  hooks.onDone?.(m.desc);
  return report;
}
