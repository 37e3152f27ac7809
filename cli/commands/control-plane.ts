import {
  DirectorySource,
  DirectoryPullSecrets,
  firstOf,
  type PullSecretStore,
  FileModuleSource,
  HttpModuleSource,
  OciModuleSource,
  Resolver,
  ControlPlane,
  type ExtensionSource,
  type ModuleSource,
} from '../../control-plane/index.js';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { CliError, ExitCode } from '../errors.js';
import { assertCanListen } from '../port-check.js';
import { printResult, progress, type OutputFormat } from '../output.js';
import { loadRegistry } from './registry-client.js';
import { parseDuration } from './registry-options.js';
import { logControlPlaneEvents } from '../../control-plane/observe/event-log.js';
import { createLogger, type LogFormat, type LogLevel } from '../../logging/logger.js';

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
  logFormat?: LogFormat;
  logLevel: LogLevel;
  create?: boolean;
  pullSecretsDir: string;
}

/** Runs until SIGINT/SIGTERM; prints where it listens (JSON with -o json) once ready. */
export async function controlPlane(o: ControlPlaneOptions): Promise<void> {
  const maxBytes = Number(o.cacheMaxBytes);
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new CliError(
      `control-plane: --cache-max-bytes "${o.cacheMaxBytes}" is not a positive integer`,
      ExitCode.invalidInput,
    );
  // Nothing is created before both listen addresses are known to be free and the config
  // directory exists: a typo in --config-dir must not silently serve an empty directory.
  await assertCanListen('control-plane', '--xds-listen', o.xdsListen);
  await assertCanListen('control-plane', '--http-listen', o.httpListen);
  if (!existsSync(o.configDir)) {
    if (!o.create)
      throw new CliError(
        `control-plane: --config-dir ${o.configDir} does not exist; check the path, or pass --create to make it`,
        ExitCode.notFound,
      );
    mkdirSync(o.configDir, { recursive: true });
  } else if (!statSync(o.configDir).isDirectory())
    throw new CliError(`control-plane: --config-dir ${o.configDir} is not a directory`, ExitCode.invalidInput);
  const deadlineMs = parseDuration('control-plane', '--fetch-deadline', o.fetchDeadline);
  // One deadline per fetch, retries included: a registry that drips bytes cannot hold a module forever.
  const moduleSources: ModuleSource[] = [new HttpModuleSource(deadlineMs), new FileModuleSource()];
  // imagePullSecret: the Secret in the plugin's namespace (Kubernetes mode), else a file.
  const secretStores: PullSecretStore[] = [new DirectoryPullSecrets(o.pullSecretsDir)];
  if (o.kubernetes) {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const { KubernetesPullSecrets } = await import('../../control-plane/sources/kubernetes-pull-secrets.js');
    const kc = new KubeConfig();
    kc.loadFromDefault();
    secretStores.unshift(new KubernetesPullSecrets(kc));
  }
  try {
    moduleSources.push(new OciModuleSource(await loadRegistry('control-plane'), { deadlineMs }, firstOf(secretStores)));
  } catch (err) {
    progress(`control-plane: oci:// urls disabled: ${(err as Error).message}`);
  }
  const sources: ExtensionSource[] = [new DirectorySource(o.configDir)];
  if (o.kubernetes) {
    const { KubernetesSource } = await import('../../control-plane/sources/kubernetes.js');
    sources.push(await KubernetesSource.fromKubeconfig());
  }
  const log = createLogger({
    format: o.logFormat ?? 'text',
    level: o.logLevel,
    base: { component: 'control-plane' },
  });
  const signatures = await signatureGate(o);
  const cp = new ControlPlane({
    ...(signatures ? { signatures } : {}),
    sources,
    resolver: new Resolver(moduleSources, { dir: o.cacheDir, maxBytes }),
    xdsListen: o.xdsListen,
    httpListen: o.httpListen,
    rootNamespace: o.rootNamespace,
  });
  // Logged from the first event on: the initial fetches and pushes matter most.
  logControlPlaneEvents(cp, log);
  cp.on('error', (err: Error) => log.error({ event: 'error', reason: err.message }, 'reconcile failed'));
  cp.on('warning', (err: Error) =>
    log.warn({ event: 'status.write-failed', reason: err.message }, 'status write failed'),
  );
  try {
    await cp.start();
  } catch (err) {
    await cp.close().catch(() => {});
    const message = (err as Error).message;
    // A port taken between the check above and the bind: still one line and exit 3.
    if (/cannot listen/.test(message)) throw new CliError(`control-plane: ${message}`, ExitCode.invalidInput);
    throw err;
  }
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
  log.info({ event: 'ready', xds: cp.xdsAddress, http: cp.httpUrl, configDir: o.configDir }, 'control plane ready');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ event: 'shutdown', signal, proxies: cp.proxies().length }, 'shutting down');
  await cp.close();
  log.info({ event: 'stopped' }, 'stopped');
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
