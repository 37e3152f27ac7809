import { inspectImage, type ImageInfo } from '../../registry/index.js';
import { parseOutputFormat, printResult } from '../output.js';
import { targetOptions, type RegistryFlags } from './registry-options.js';

export async function inspect(ref: string, flags: RegistryFlags & { output?: string }): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const info = await inspectImage(ref, await targetOptions('inspect', flags));
  printResult(format, info, () => text(info));
}

const formatNames: Record<ImageInfo['format'], string> = {
  wasm: 'wasm OCI variant (two layers: runtime config + module)',
  compat: 'compat OCI image (plugin.wasm in a tar+gzip layer)',
  docker: 'Docker image (plugin.wasm in the last tar+gzip layer)',
};

function text(i: ImageInfo): string {
  const lines = [
    `${i.reference}`,
    `  format:          ${formatNames[i.format]}; loadable by Istio and Envoy Gateway`,
    `  manifest:        ${i.manifestDigest} (${i.manifestMediaType}, ${i.manifestSize} bytes)`,
    `  config:          ${i.config.digest} (${i.config.mediaType}, ${i.config.size} bytes)`,
    ...i.layers.map(
      (l, n) => `  layer ${n}:         ${l.digest} (${l.mediaType}, ${l.size} bytes${l.title ? `, ${l.title}` : ''})`,
    ),
    `  module sha256:   ${i.moduleSha256} (${i.moduleSize} bytes)`,
    `  ABI versions:    ${i.abiVersions.join(', ') || 'none declared'}`,
    `  root ids:        ${i.rootIds.join(', ') || 'none recorded'}`,
    `  pinned:          ${i.pinned}`,
  ];
  for (const [k, v] of Object.entries(i.annotations)) lines.push(`  annotation:      ${k}=${v}`);
  return lines.join('\n');
}
