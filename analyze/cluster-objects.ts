import type { InputDoc } from './inputs.js';

/** Kubernetes objects found beside the extensions: what selectors and pull secrets refer to. */
export interface Workload {
  kind: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
}
export interface SecretInfo {
  namespace: string;
  name: string;
  type: string;
  dockerConfig?: string;
}
export interface ClusterObjects {
  workloads: Workload[];
  /** Services and Gateways, for targetRefs. */
  targets: { kind: string; namespace: string; name: string }[];
  secrets: SecretInfo[];
}

const POD_TEMPLATE_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController'];

export function collectClusterObjects(docs: InputDoc[], defaultNamespace = 'default'): ClusterObjects {
  const out: ClusterObjects = { workloads: [], targets: [], secrets: [] };
  for (const { doc } of docs) {
    const ns: string = doc.metadata?.namespace || defaultNamespace;
    const name: string = doc.metadata?.name ?? '';
    const kind = doc.kind as string;
    if (kind === 'Pod') out.workloads.push({ kind, namespace: ns, name, labels: { ...(doc.metadata?.labels ?? {}) } });
    else if (POD_TEMPLATE_KINDS.includes(kind))
      out.workloads.push({ kind, namespace: ns, name, labels: { ...(doc.spec?.template?.metadata?.labels ?? {}) } });
    else if (kind === 'CronJob')
      out.workloads.push({
        kind,
        namespace: ns,
        name,
        labels: { ...(doc.spec?.jobTemplate?.spec?.template?.metadata?.labels ?? {}) },
      });
    if (kind === 'Service' || kind === 'Gateway') out.targets.push({ kind, namespace: ns, name });
    if (kind === 'Secret') {
      const data = doc.data?.['.dockerconfigjson'];
      const plain = doc.stringData?.['.dockerconfigjson'];
      out.secrets.push({
        namespace: ns,
        name,
        type: doc.type ?? 'Opaque',
        dockerConfig:
          typeof plain === 'string'
            ? plain
            : typeof data === 'string'
              ? Buffer.from(data, 'base64').toString('utf8')
              : undefined,
      });
    }
  }
  return out;
}
