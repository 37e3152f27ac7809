import { describeSigner, signImage, type SignResult } from '../../registry/signing/index.js';
import { printResult, type OutputFormat } from '../output.js';
import { targetOptions, type RegistryFlags } from './registry-options.js';
import { signingMethod, type SigningFlags } from './signing-options.js';

export async function sign(ref: string, flags: RegistryFlags & SigningFlags & { output: OutputFormat }): Promise<void> {
  const method = await signingMethod('sign', flags);
  const result = await signImage(ref, method, await targetOptions('sign', flags));
  printResult(flags.output, result, () => signedText(result));
}

/** Also printed by push --sign. */
export function signedText(r: SignResult): string {
  return [
    `signed ${r.pinned} with ${describeSigner(r.signer)}`,
    `  signature: Sigstore bundle in referrer ${r.signatureDigest}${r.storedVia === 'tag-schema' ? ` (listed in tag ${r.subjectDigest.replace(':', '-')}: no referrers API here)` : ''}`,
    ...(r.tlogIndex ? [`  transparency log index: ${r.tlogIndex}`] : []),
  ].join('\n');
}
