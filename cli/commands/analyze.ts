import {
  analyzeDocuments,
  failing,
  formatText,
  parseCredentialArg,
  readInputs,
  type Severity,
} from '../../analyze/index.js';
import { finding } from '../../analyze/finding.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';

interface AnalyzeCliOptions {
  registryCredentials?: string[];
  istioVersion?: string;
  failureThreshold: Severity;
  output: OutputFormat;
  envoy?: boolean;
  plainHttp?: boolean;
  maxModuleSize?: string;
  maxStartupMs?: string;
  policy?: string;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`analyze: ${flag} "${value}" is not a non-negative number`, ExitCode.invalidInput);
  return n;
}

export async function analyze(input: string, opts: AnalyzeCliOptions): Promise<void> {
  const { docs, problems } = await readInputs(input);
  const signaturePolicy = opts.policy ? await loadPolicy(opts.policy) : undefined;
  const report = await analyzeDocuments(docs, {
    ...(signaturePolicy ? { signaturePolicy } : {}),
    istioVersion: opts.istioVersion,
    envoy: opts.envoy,
    plainHttp: opts.plainHttp,
    credentials: (opts.registryCredentials ?? []).map(parseCredentialArg),
    limits: {
      ...(opts.maxModuleSize !== undefined
        ? { maxModuleBytes: positive(opts.maxModuleSize, '--max-module-size') }
        : {}),
      ...(opts.maxStartupMs !== undefined ? { maxStartupMs: positive(opts.maxStartupMs, '--max-startup-ms') } : {}),
    },
  });
  // Files that are not YAML at all are schema findings too: kubectl would refuse them.
  for (const p of problems) {
    report.findings.unshift(finding('MW0001', { label: p.origin, origin: p.origin }, p.message));
    report.counts.Error++;
  }
  printResult(opts.output, report, () => formatText(report));
  const bad = failing(report, opts.failureThreshold);
  if (bad.length > 0) {
    throw new CliError(
      `analyze: ${bad.length} finding(s) at or above ${opts.failureThreshold} (--failure-threshold)`,
      ExitCode.checkFailed,
    );
  }
}

async function loadPolicy(file: string) {
  const { loadSignaturePolicy } = await import('../../control-plane/index.js');
  try {
    return await loadSignaturePolicy(file);
  } catch (err) {
    const kind = (err as { kind?: string }).kind;
    throw new CliError(
      `analyze: --policy: ${(err as Error).message}`,
      kind === 'not-found' ? ExitCode.notFound : ExitCode.invalidInput,
    );
  }
}
