import { fromStruct } from '../../envoy-api/protos.js';
import type { Extension, Phase } from '../manifest/extension.js';

/**
 * Which proxy receives which extension, and in what order. A proxy identifies itself as
 * istio-agent does: node.metadata.LABELS (workload labels) and node.metadata.NAMESPACE.
 */
export interface ProxyIdentity {
  nodeId: string;
  namespace: string;
  labels: Record<string, string>;
}

export function proxyFromNode(
  node: { id?: string; metadata?: { fields?: Record<string, unknown> } } | undefined,
): ProxyIdentity {
  const md = fromStruct(node?.metadata);
  const labels: Record<string, string> = {};
  if (md.LABELS && typeof md.LABELS === 'object') for (const [k, v] of Object.entries(md.LABELS)) labels[k] = String(v);
  return {
    nodeId: node?.id ?? '',
    namespace: typeof md.NAMESPACE === 'string' && md.NAMESPACE ? md.NAMESPACE : 'default',
    labels,
  };
}

/** Labels by which a workload belongs to a targetRef's Gateway or Service (Istio's conventions). */
const TARGET_LABELS: Record<string, string[]> = {
  Gateway: ['gateway.networking.k8s.io/gateway-name', 'istio.io/gateway-name'],
  Service: ['service.istio.io/canonical-name', 'app'],
};

/**
 * Istio's rules: an extension in the root namespace applies to every namespace, otherwise only
 * to its own; with a selector, all its labels must match; with targetRefs, one must match;
 * with neither, every workload of the namespace gets it.
 */
export function appliesTo(ext: Extension, proxy: ProxyIdentity, rootNamespace: string): boolean {
  if (ext.namespace !== rootNamespace && ext.namespace !== proxy.namespace) return false;
  if (ext.targetRefs.length) {
    return ext.targetRefs.some((ref) =>
      (TARGET_LABELS[ref.kind] ?? []).some((label) => proxy.labels[label] === ref.name),
    );
  }
  if (ext.selector) return Object.entries(ext.selector).every(([k, v]) => proxy.labels[k] === v);
  return true;
}

/** Filter-chain position: AUTHN, AUTHZ, STATS, then unspecified (right before the router). */
const PHASE_RANK: Record<Phase, number> = { AUTHN: 0, AUTHZ: 1, STATS: 2, UNSPECIFIED: 3 };

/** Chain order: phase, then higher priority first, then oldest first, then namespace/name. */
export function chainOrder(a: Extension, b: Extension): number {
  return (
    PHASE_RANK[a.phase] - PHASE_RANK[b.phase] ||
    b.priority - a.priority ||
    (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') ||
    a.resourceName.localeCompare(b.resourceName)
  );
}
