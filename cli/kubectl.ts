import { spawnSync } from 'node:child_process';
import { CliError, ExitCode } from './errors.js';

export interface KubeTarget {
  /** --context NAME; undefined: the kubeconfig's current context (only with an explicit --kubeconfig). */
  context?: string;
  kubeconfig?: string;
}

export interface ResolvedKubeTarget {
  context: string;
  cluster: string;
  server: string;
}

const flags = (t: KubeTarget) => [
  ...(t.kubeconfig ? ['--kubeconfig', t.kubeconfig] : []),
  ...(t.context ? ['--context', t.context] : []),
];

/**
 * Which context, cluster and API server a --context / --kubeconfig pair means, read with kubectl
 * itself (`config view --minify`), so what we print is what kubectl will talk to.
 */
export function resolveKubeTarget(command: string, t: KubeTarget): ResolvedKubeTarget {
  const r = spawnSync('kubectl', [...flags(t), 'config', 'view', '--minify', '-o', 'json'], { encoding: 'utf8' });
  if (r.error)
    throw new CliError(
      `${command}: kubectl is not installed or not on PATH (${(r.error as NodeJS.ErrnoException).code}); install it, or drop --context/--kubeconfig to write into --config-dir`,
      ExitCode.notFound,
    );
  const where = t.context ? `context "${t.context}"` : `the current context of ${t.kubeconfig}`;
  if (r.status !== 0)
    throw new CliError(
      `${command}: ${where} not found: ${(r.stderr || r.stdout).trim()}; list contexts with "kubectl config get-contexts"`,
      ExitCode.notFound,
    );
  const view = JSON.parse(r.stdout) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server?: string } }[];
  };
  const ctx = view.contexts?.[0];
  if (!ctx) throw new CliError(`${command}: ${where} not found in the kubeconfig`, ExitCode.notFound);
  return {
    context: ctx.name,
    cluster: ctx.context.cluster,
    server: view.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster.server ?? '',
  };
}

/** kubectl apply -f - against exactly that target; dryRun "server" or "client" as kubectl's --dry-run. */
export function kubectlApply(
  command: string,
  t: KubeTarget,
  target: ResolvedKubeTarget,
  namespace: string,
  manifest: string,
  dryRun?: 'server' | 'client',
): string {
  const args = [
    ...flags({ ...t, context: target.context }),
    'apply',
    '-f',
    '-',
    ...(dryRun ? [`--dry-run=${dryRun}`] : []),
  ];
  const r = spawnSync('kubectl', args, { input: manifest, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0)
    throw new CliError(
      `${command}: kubectl apply to cluster "${target.cluster}" (${target.server || 'no server'}) via context "${target.context}", namespace ${namespace} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`,
      ExitCode.remote,
    );
  return r.stdout.trim();
}
