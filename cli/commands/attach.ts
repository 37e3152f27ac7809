import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { buildEnvoyFilter, buildExtensionManifest, type AttachSpec } from '../../control-plane/index.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, type OutputFormat } from '../output.js';
import { loadRegistry } from './registry-client.js';
import { kubectlApply, resolveKubeTarget } from '../kubectl.js';
import { analyzeManifestText, failing, formatText, type Severity } from '../../analyze/index.js';

interface AttachOptions {
  name: string;
  namespace: string;
  selector?: string[];
  targetRef?: string[];
  phase?: AttachSpec['phase'];
  priority?: string;
  config?: string;
  failStrategy?: AttachSpec['failStrategy'];
  kind: AttachSpec['kind'];
  pullSecret?: string;
  pullPolicy?: AttachSpec['pullPolicy'];
  rootId?: string;
  envoy?: boolean;
  envoyVersion?: string;
  moduleBaseUrl: string;
  apply?: boolean;
  context?: string;
  kubeconfig?: string;
  dryRun?: string;
  configDir: string;
  output: OutputFormat;
  analyze?: boolean;
  /** Go on when the checks fail (a module the build refused: MW0301-MW0303), findings still printed. */
  force?: boolean;
  failureThreshold?: Severity;
  plainHttp?: boolean;
}

const invalid = (msg: string) => new CliError(`attach: ${msg}`, ExitCode.invalidInput);

export async function attach(ref: string, o: AttachOptions): Promise<void> {
  const resolved = await resolveRef(ref, !!o.envoy);
  const spec: AttachSpec = {
    kind: o.kind,
    name: o.name,
    namespace: o.namespace,
    url: resolved.url,
    sha256: resolved.sha256,
    selector: parseSelectors(o.selector ?? []),
    targetRefs: (o.targetRef ?? []).map(parseTargetRef),
    phase: o.phase,
    priority: o.priority === undefined ? undefined : parseInteger(o.priority, '--priority'),
    pluginConfig: o.config === undefined ? undefined : parseConfig(o.config),
    failStrategy: o.failStrategy,
    pullSecret: o.pullSecret,
    pullPolicy: o.pullPolicy,
    rootId: o.rootId,
  };
  if (spec.targetRefs!.length && Object.keys(spec.selector!).length)
    throw invalid('use --selector or --target-ref, not both (the CRD allows only one)');
  let manifest: Record<string, unknown>;
  try {
    manifest = buildExtensionManifest(spec);
  } catch (err) {
    throw invalid((err as Error).message);
  }

  // The same checks as "meshwasm analyze", on exactly what is about to be printed or applied.
  if (o.analyze !== false && !o.envoy) await checkManifest(manifest, o);

  if (o.envoy && o.kind === 'EnvoyExtensionPolicy')
    throw new CliError(
      'attach: --envoy prints the plain Envoy filter; drop --kind EnvoyExtensionPolicy',
      ExitCode.usage,
    );
  if (o.envoy) {
    let filter: Record<string, unknown>;
    try {
      filter = buildEnvoyFilter(
        manifest,
        `${o.moduleBaseUrl.replace(/\/$/, '')}/modules/${resolved.moduleSha256}.wasm`,
        resolved.moduleSha256!,
        { envoyVersion: o.envoyVersion },
      );
    } catch (err) {
      throw invalid((err as Error).message);
    }
    printResult(o.output, filter, () => YAML.stringify(filter));
    return;
  }
  if (!o.apply && (o.context || o.kubeconfig || o.dryRun))
    throw new CliError('attach: --context, --kubeconfig and --dry-run go with --apply', ExitCode.usage);
  if (!o.apply) {
    printResult(o.output, manifest, () => YAML.stringify(manifest));
    return;
  }
  const text = o.output === 'json' ? JSON.stringify(manifest, null, 2) + '\n' : YAML.stringify(manifest);
  const format = o.output === 'json' ? 'json' : 'text';
  const dryRun = parseDryRun(o.dryRun);
  // Never the cluster kubectl happens to point at: only one named with --context or --kubeconfig.
  if (o.context || o.kubeconfig) {
    const t = { context: o.context, kubeconfig: o.kubeconfig };
    const target = resolveKubeTarget('attach', t);
    const out = kubectlApply('attach', t, target, o.namespace, text, dryRun);
    const what = `${o.kind} ${o.namespace}/${o.name}`;
    printResult(
      format,
      { applied: 'kubectl', ...target, namespace: o.namespace, dryRun: dryRun ?? null, kubectl: out, manifest },
      () =>
        `${dryRun ? `dry run (${dryRun}): would apply` : 'applied'} ${what} to cluster "${target.cluster}" (${target.server}) via context "${target.context}", namespace ${o.namespace}\n${out}`,
    );
    return;
  }
  const file = join(
    o.configDir,
    `${o.kind.toLowerCase()}-${o.namespace}-${o.name}.${o.output === 'json' ? 'json' : 'yaml'}`,
  );
  if (!dryRun) {
    mkdirSync(o.configDir, { recursive: true });
    writeFileSync(file, text);
  }
  printResult(
    format,
    { applied: 'config-dir', file, dryRun: dryRun ?? null, manifest },
    () =>
      `${dryRun ? 'dry run: would write' : 'wrote'} ${file}: no --context or --kubeconfig, so no cluster was touched; ` +
      `a "meshwasm control-plane --config-dir ${o.configDir}" picks it up (pass --context NAME to apply to a cluster)`,
  );
}

function parseDryRun(v: string | undefined): 'server' | 'client' | undefined {
  if (v === undefined || v === 'none') return undefined;
  if (v === 'server' || v === 'client') return v;
  throw invalid(`--dry-run "${v}" is not one of server, client, none (as kubectl's --dry-run)`);
}

async function checkManifest(manifest: Record<string, unknown>, o: AttachOptions): Promise<void> {
  const report = await analyzeManifestText(YAML.stringify(manifest), 'attach', { plainHttp: o.plainHttp });
  if (report.findings.length === 0) return;
  process.stderr.write(formatText(report) + '\n');
  const bad = failing(report, o.failureThreshold ?? 'Error');
  if (bad.length > 0 && o.force) {
    process.stderr.write(`attach: --force: going on despite ${bad.length} finding(s) listed above\n`);
    return;
  }
  if (bad.length > 0) {
    throw new CliError(
      `attach: ${bad.length} finding${bad.length > 1 ? 's' : ''} at or above ${o.failureThreshold ?? 'Error'} (listed above); nothing was ${o.apply ? 'applied' : 'printed'}. Fix them (a module "meshwasm build" refuses shows as MW0301-MW0303), pass --force to go on anyway, or --no-analyze to skip the checks`,
      ExitCode.checkFailed,
    );
  }
}

interface ResolvedRef {
  url: string;
  sha256: string;
  moduleSha256?: string;
}

/** oci refs pin the manifest digest; http(s) URLs pin the sha256 of the .wasm itself. */
async function resolveRef(ref: string, needModuleSha: boolean): Promise<ResolvedRef> {
  if (/^https?:\/\//i.test(ref)) {
    let body: Uint8Array;
    try {
      const res = await fetch(ref);
      if (!res.ok) throw new Error(`answered ${res.status}`);
      body = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw new CliError(
        `attach: cannot download ${ref} to compute its sha256: ${(err as Error).message}`,
        ExitCode.remote,
      );
    }
    const sha = createHash('sha256').update(body).digest('hex');
    return { url: ref, sha256: sha, moduleSha256: sha };
  }
  const bare = ref.replace(/^oci:\/\//, '');
  const pinned = /@sha256:([a-f0-9]{64})$/.exec(bare)?.[1];
  if (pinned && !needModuleSha) return { url: `oci://${bare}`, sha256: pinned };
  const registry = await loadRegistry('attach');
  const digest = pinned ?? (await registry.resolveDigest(bare)).replace(/^sha256:/, '');
  if (!needModuleSha) return { url: `oci://${bare}`, sha256: digest };
  const repo = bare.replace(/@sha256:[a-f0-9]{64}$/, '').replace(/:([^/:]+)$/, '');
  const pulled = await registry.pullModule(`${repo}@sha256:${digest}`);
  return { url: `oci://${bare}`, sha256: digest, moduleSha256: pulled.moduleSha256 };
}

function parseSelectors(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw invalid(`--selector "${v}" is not key=value (e.g. --selector app=reviews)`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

function parseTargetRef(v: string): { kind: string; name: string; group?: string } {
  const m = /^([A-Za-z][-A-Za-z0-9]*)\/(.+)$/.exec(v);
  if (!m) throw invalid(`--target-ref "${v}" is not Kind/name (e.g. --target-ref Gateway/ingress)`);
  const kind = m[1]!;
  const group = kind === 'Gateway' ? 'gateway.networking.k8s.io' : kind === 'Service' ? '' : undefined;
  return { ...(group !== undefined ? { group } : {}), kind, name: m[2]! };
}

function parseInteger(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) throw invalid(`${flag} "${v}" is not an integer`);
  return Number(v);
}

function parseConfig(v: string): unknown {
  let text = v;
  if (v.startsWith('@')) {
    try {
      text = readFileSync(v.slice(1), 'utf8');
    } catch (err) {
      throw new CliError(
        `attach: cannot read --config file ${v.slice(1)}: ${(err as Error).message}`,
        ExitCode.notFound,
      );
    }
  }
  try {
    const value = v.startsWith('@') && !/\.json$/i.test(v) ? YAML.parse(text) : JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('pluginConfig must be an object');
    return value;
  } catch (err) {
    throw invalid(
      `--config ${v.startsWith('@') ? v.slice(1) : 'value'} is not a JSON object: ${(err as Error).message}`,
    );
  }
}
