import type { StatusReport } from '../../control-plane/index.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';

export async function status(o: { controlPlane: string; output: OutputFormat }): Promise<void> {
  const url = `${o.controlPlane.replace(/\/$/, '')}/status`;
  let report: StatusReport;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    report = (await res.json()) as StatusReport;
  } catch (err) {
    throw new CliError(
      `status: cannot reach the control plane at ${url}: ${(err as Error).message}; start it with "meshwasm control-plane" or pass --control-plane URL`,
      ExitCode.remote,
    );
  }
  printResult(o.output, report, () => render(report));
  const failing =
    report.extensions.some((e) => e.error || e.proxies.some((p) => p.nack)) || report.sourceErrors.length > 0;
  if (failing) process.exitCode = ExitCode.checkFailed;
}

function render(r: StatusReport): string {
  const lines: string[] = [`control plane: ECDS ${r.controlPlane.xds}, HTTP ${r.controlPlane.http}`];
  if (!r.extensions.length) lines.push('no extensions');
  for (const e of r.extensions) {
    lines.push(`${e.kind} ${e.namespace}/${e.name}  ${e.state}${e.fallback ? ` (${e.fallback} fallback)` : ''}`);
    lines.push(`  url ${e.url}`);
    if (e.digest) lines.push(`  digest sha256:${e.digest}  module sha256:${e.moduleSha256}`);
    if (e.signedBy) lines.push(`  signed by ${e.signedBy}`);
    if (e.manifestError) lines.push(`  invalid manifest, serving its last valid version: ${e.manifestError}`);
    if (e.error) lines.push(`  error: ${e.error}`);
    for (const p of e.proxies)
      lines.push(
        `  proxy ${p.nodeId}: version ${p.version}${p.digest ? ` (sha256:${p.digest.slice(0, 12)})` : ''} ${p.acked ? 'ACKed' : 'sent'}${p.nack ? `, NACK: ${p.nack}` : ''}`,
      );
  }
  for (const s of r.sourceErrors) lines.push(`invalid manifest: ${s.message}`);
  lines.push(`${r.proxies.length} proxies connected; cache ${r.cache.entries} modules, ${r.cache.bytes} bytes`);
  return lines.join('\n');
}
