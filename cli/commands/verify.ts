import { describeSigner, verifyImage, type VerifyReport } from '../../registry/signing/index.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';
import { targetOptions, type RegistryFlags } from './registry-options.js';
import { trustPolicy, type SigningFlags } from './signing-options.js';

/** Exit 0 when a signature verifies under the given keys or identities; 9 (check failed) otherwise, with the reasons. */
export async function verify(
  ref: string,
  flags: RegistryFlags & SigningFlags & { output: OutputFormat },
): Promise<void> {
  const policy = await trustPolicy('verify', flags);
  const report = await verifyImage(ref, policy, await targetOptions('verify', flags));
  printResult(flags.output, report, () => text(report));
  if (!report.verified) {
    if (flags.output === 'json') process.exitCode = ExitCode.checkFailed;
    else
      throw new CliError(
        `verify: no signature of ${report.pinned} verifies${report.signatures.length ? '' : ' (it has none)'}; sign it with "meshwasm sign ${report.pinned} --key KEY" or check --key / --certificate-identity`,
        ExitCode.checkFailed,
      );
  }
}

function text(r: VerifyReport): string {
  const lines = [`${r.pinned}: ${r.verified ? `verified, signed by ${describeSigner(r.signer!)}` : 'NOT verified'}`];
  for (const s of r.signatures)
    lines.push(
      `  ${s.verified ? 'ok  ' : 'fail'} ${s.source === 'referrer' ? 'bundle' : 'cosign .sig'} ${s.digest.slice(0, 19)} ${describeSigner(s.signer)}${s.reason ? `: ${s.reason}` : ''}`,
    );
  if (!r.signatures.length) lines.push(`  no signatures (referrers read through the ${r.referrers}, and the .sig tag)`);
  return lines.join('\n');
}
