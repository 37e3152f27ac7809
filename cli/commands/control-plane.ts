import {
  DirectorySource,
  FileModuleSource,
  HttpModuleSource,
  OciModuleSource,
  Resolver,
  startControlPlane,
  type ExtensionSource,
  type ModuleSource,
} from '../../control-plane/index.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, progress, type OutputFormat } from '../output.js';
import { loadRegistry } from './registry-client.js';
import { parseDuration } from './registry-options.js';

interface ControlPlaneOptions {
  configDir: string;
  kubernetes?: boolean;
  xdsListen: string;
  httpListen: string;
  cacheDir: string;
  cacheMaxBytes: string;
  rootNamespace: string;
  signaturePolicy?: string;
  trustedKey?: string[];
  fetchDeadline: string;
  output: OutputFormat;
}

/** Runs until SIGINT/SIGTERM; prints where it listens (JSON with -o json) once ready. */
export async function controlPlane(o: ControlPlaneOptions): Promise<void> {
  const maxBytes = Number(o.cacheMaxBytes);
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new CliError(
      `control-plane: --cache-max-bytes "${o.cacheMaxBytes}" is not a positive integer`,
      ExitCode.invalidInput,
    );
  const deadlineMs = parseDuration('control-plane', '--fetch-deadline', o.fetchDeadline);
  // One deadline per fetch, retries included: a registry that drips bytes cannot hold a module forever.
  const moduleSources: ModuleSource[] = [new HttpModuleSource(deadlineMs), new FileModuleSource()];
  try {
    moduleSources.push(new OciModuleSource(await loadRegistry('control-plane'), { deadlineMs }));
  } catch (err) {
    progress(`control-plane: oci:// urls disabled: ${(err as Error).message}`);
  }
  const sources: ExtensionSource[] = [new DirectorySource(o.configDir)];
  if (o.kubernetes) {
    const { KubernetesSource } = await import('../../control-plane/sources/kubernetes.js');
    sources.push(await KubernetesSource.fromKubeconfig());
  }
  const signatures = await signatureGate(o);
  const cp = await startControlPlane({
    ...(signatures ? { signatures } : {}),
    sources,
    resolver: new Resolver(moduleSources, { dir: o.cacheDir, maxBytes }),
    xdsListen: o.xdsListen,
    httpListen: o.httpListen,
    rootNamespace: o.rootNamespace,
  });
  cp.on('error', (err: Error) => process.stderr.write(`control-plane: ${err.message}\n`));
  const ready = {
    xds: cp.xdsAddress,
    http: cp.httpUrl,
    status: `${cp.httpUrl}/status`,
    configDir: o.configDir,
    kubernetes: !!o.kubernetes,
    signaturePolicy: signatures ? Object.keys(signatures.policy.namespaces) : [],
  };
  printResult(
    o.output,
    ready,
    () =>
      `control plane ready: ECDS on ${cp.xdsAddress}, modules and status on ${cp.httpUrl}\n` +
      `watching ${o.configDir}${o.kubernetes ? ' and Kubernetes' : ''}; "meshwasm status --control-plane ${cp.httpUrl}" shows what is served` +
      (signatures ? `\nserving only signed modules in namespaces: ${ready.signaturePolicy.join(', ')}` : ''),
  );
  cp.on('reconciled', (s: { extensions: { name: string; state: string; error?: string }[] }) => {
    for (const e of s.extensions) progress(`${e.name}: ${e.state}${e.error ? ` (${e.error})` : ''}`);
  });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await cp.close();
}

/** The signature gate from --signature-policy / --trusted-key; the Sigstore libraries load only when one is given. */
async function signatureGate(o: ControlPlaneOptions) {
  const { loadSignaturePolicy, SignatureGate } = await import('../../control-plane/index.js');
  let policy: Awaited<ReturnType<typeof loadSignaturePolicy>>;
  try {
    policy = await loadSignaturePolicy(o.signaturePolicy, o.trustedKey ?? []);
  } catch (err) {
    const missing = (err as { kind?: string }).kind === 'not-found';
    throw new CliError(`control-plane: ${(err as Error).message}`, missing ? ExitCode.notFound : ExitCode.invalidInput);
  }
  if (!policy) return undefined;
  const { sigstoreVerifier } = await import('../../control-plane/resolver/sigstore-verifier.js');
  const { buildTrustPolicy } = await import('../../registry/signing/index.js');
  // Parse every key and trusted root now, so a bad one stops start-up instead of refusing every module later.
  for (const trust of Object.values(policy.namespaces)) {
    try {
      buildTrustPolicy({
        keys: trust.keys,
        identities: trust.identities,
        ...(trust.trustedRoot
          ? { trustedRootJson: trust.trustedRoot.json, trustedRootName: trust.trustedRoot.name }
          : {}),
      });
    } catch (err) {
      throw new CliError(`control-plane: ${trust.origin}: ${(err as Error).message}`, ExitCode.invalidInput);
    }
  }
  return new SignatureGate(policy, sigstoreVerifier());
}
