import { inspectImage, openTarget, type ImageInfo } from '../../registry/index.js';
import { parseOutputFormat, printResult } from '../output.js';
import { targetOptions, type RegistryFlags } from './registry-options.js';

export async function inspect(ref: string, flags: RegistryFlags & { output?: string }): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const opts = await targetOptions('inspect', flags);
  const info = await inspectImage(ref, opts);
  const signed = await signaturesOf(ref, info.manifestDigest, opts);
  printResult(format, { ...info, ...signed }, () => text(info) + signaturesText(signed));
}

type Signatures = { signatures: Awaited<ReturnType<typeof import('../../registry/signing/index.js').listSignatures>> };

/** Signatures are listed, not verified (that is "meshwasm verify"); failing to read them does not fail inspect. */
async function signaturesOf(
  ref: string,
  digest: string,
  opts: object,
): Promise<Signatures | { signaturesError: string }> {
  const { listSignatures } = await import('../../registry/signing/index.js');
  try {
    return { signatures: await listSignatures(openTarget(ref, opts).target, digest) };
  } catch (err) {
    return { signaturesError: (err as Error).message };
  }
}

function signaturesText(s: Signatures | { signaturesError: string }): string {
  if ('signaturesError' in s) return `\n  signatures:      could not be listed (${s.signaturesError})`;
  if (!s.signatures.length) return '\n  signatures:      none (sign with "meshwasm sign")';
  return s.signatures
    .map((x) => {
      const who =
        x.signer.kind === 'key'
          ? `key ${x.signer.keyId.slice(0, 16)}`
          : x.signer.kind === 'keyless'
            ? x.signer.subject
              ? `${x.signer.subject} (issuer ${x.signer.issuer})`
              : 'a Fulcio certificate'
            : 'an unnamed key';
      const where = x.source === 'referrer' ? 'Sigstore bundle' : "cosign's .sig tag";
      return `\n  signature:       ${who}, ${where} ${x.digest.slice(0, 19)}${x.signedAt ? `, ${x.signedAt}` : ''} (not verified here: "meshwasm verify")`;
    })
    .join('');
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
