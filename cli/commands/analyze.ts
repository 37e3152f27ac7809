import {
  analyzeDocuments,
  failing,
  formatText,
  isEnvoyWasmDoc,
  isExtensionDoc,
  parseCredentialArg,
  readManyInputs,
  type CredentialSpec,
  type Severity,
} from '../../analyze/index.js';
import { readPassword } from './registry-options.js';
import { isEnvoyExtensionPolicy } from '../../control-plane/index.js';
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
  username?: string;
  passwordStdin?: boolean;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`analyze: ${flag} "${value}" is not a non-negative number`, ExitCode.invalidInput);
  return n;
}

export async function analyze(inputs: string | string[], opts: AnalyzeCliOptions): Promise<void> {
  const paths = Array.isArray(inputs) ? inputs : [inputs];
  const credentials: CredentialSpec[] = [];
  try {
    credentials.push(...(opts.registryCredentials ?? []).map(parseCredentialArg));
  } catch (err) {
    throw new CliError(`analyze: ${(err as Error).message}`, ExitCode.invalidInput);
  }
  if (opts.passwordStdin && paths.includes('-'))
    throw new CliError(
      'analyze: stdin cannot carry both the manifests (-) and the password (--password-stdin)',
      ExitCode.usage,
    );
  if (opts.username !== undefined) {
    // Same as the registry commands: the password from stdin (or a hidden prompt), never argv.
    credentials.unshift({ credentials: { username: opts.username, password: await readPassword('analyze', opts) } });
  } else if (opts.passwordStdin) throw new CliError('analyze: --password-stdin needs --username', ExitCode.usage);
  const { docs, problems, byInput } = await readManyInputs(paths);
  const signaturePolicy = opts.policy ? await loadPolicy(opts.policy) : undefined;
  const report = await analyzeDocuments(docs, {
    ...(signaturePolicy ? { signaturePolicy } : {}),
    istioVersion: opts.istioVersion,
    envoy: opts.envoy,
    plainHttp: opts.plainHttp,
    credentials,
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
  // An input with nothing to check is most often a wrong path: say so instead of a clean report.
  const broken = new Set(problems.map((p) => p.origin));
  for (const i of byInput) {
    if (i.docs.some((d) => isExtensionDoc(d) || isEnvoyExtensionPolicy(d.doc) || (opts.envoy && isEnvoyWasmDoc(d))))
      continue;
    if (i.files.length > 0 && i.files.every((f) => broken.has(f))) continue;
    const what =
      i.files.length === 0
        ? 'no .yaml, .yml or .json files'
        : `${i.files.length} file(s) but no WasmPlugin, TrafficExtension or EnvoyExtensionPolicy${opts.envoy ? ' or Envoy wasm config' : ''}`;
    report.findings.push(finding('MW0004', { label: i.input, origin: i.input }, `${i.input} holds ${what}`));
    report.counts.Warning++;
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
