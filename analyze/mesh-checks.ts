import type { ClusterObjects, Workload } from './cluster-objects.js';
import { finding, type Finding } from './finding.js';
import type { Subject } from './subject.js';

/** Istio's root namespace: extensions there apply to every namespace. */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

const istio = (s: Subject) => s.kind === 'WasmPlugin' || s.kind === 'TrafficExtension';

function selectorMatches(sel: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
}

/** Whether two extensions can land on the same workload; "maybe" counts as yes. */
function mayOverlap(a: Subject, b: Subject, rootNs: string): boolean {
  if (a.namespace !== b.namespace && a.namespace !== rootNs && b.namespace !== rootNs) return false;
  if ((a.type ?? 'HTTP') !== (b.type ?? 'HTTP')) return false;
  if (a.selector && b.selector) {
    for (const [k, v] of Object.entries(a.selector)) if (k in b.selector && b.selector[k] !== v) return false;
  }
  if (a.targetRefs.length > 0 && b.targetRefs.length > 0) {
    const key = (r: { kind: string; name: string }) => `${r.kind}/${r.name}`;
    const bs = new Set(b.targetRefs.map(key));
    if (!a.targetRefs.some((r) => bs.has(key(r)))) return false;
  }
  return true;
}

/** Istio orders a phase by priority; equal priorities leave the order to creation time and name. */
export function checkPhasePriority(subjects: Subject[], rootNs = DEFAULT_ROOT_NAMESPACE): Finding[] {
  const out: Finding[] = [];
  const list = subjects.filter(istio);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (a.phase !== b.phase || a.priority !== b.priority || !mayOverlap(a, b, rootNs)) continue;
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        out.push(
          finding(
            'MW0401',
            x,
            `${x.label} and ${y.label} are both in phase ${x.phase} with priority ${x.priority} and can apply to the same workloads; their order in the filter chain is then not defined by the API`,
            { other: y.label, phase: x.phase, priority: x.priority },
          ),
        );
      }
    }
  }
  return out;
}

/** Istio reads imagePullSecret from the extension's own namespace only. */
export function checkPullSecret(s: Subject, objects: ClusterObjects): Finding[] {
  const ref = s.imagePullSecret;
  if (!ref || !istio(s)) return [];
  if (ref.includes('/')) {
    return [
      finding(
        'MW0402',
        s,
        `imagePullSecret "${ref}" names a namespace; it must be the bare name of a Secret in ${s.namespace}, the extension's namespace`,
        { imagePullSecret: ref },
      ),
    ];
  }
  if (objects.secrets.length === 0) return [];
  const here = objects.secrets.find((x) => x.namespace === s.namespace && x.name === ref);
  if (!here) {
    const elsewhere = objects.secrets.filter((x) => x.name === ref).map((x) => x.namespace);
    if (elsewhere.length > 0) {
      return [
        finding(
          'MW0402',
          s,
          `imagePullSecret "${ref}" exists only in namespace ${elsewhere.join(', ')}, not in ${s.namespace}; Istio looks for it in ${s.namespace} and pulls anonymously when it is missing`,
          { imagePullSecret: ref, foundIn: elsewhere },
        ),
      ];
    }
    return [
      finding('MW0403', s, `imagePullSecret "${ref}" is not among the Secrets given for namespace ${s.namespace}`, {
        imagePullSecret: ref,
      }),
    ];
  }
  if (here.type !== 'kubernetes.io/dockerconfigjson' && here.type !== 'kubernetes.io/dockercfg') {
    return [
      finding(
        'MW0403',
        s,
        `imagePullSecret "${ref}" is a Secret of type ${here.type}; Istio reads pull credentials from kubernetes.io/dockerconfigjson secrets`,
        { imagePullSecret: ref, type: here.type },
      ),
    ];
  }
  return [];
}

/** The pull secret's docker config text, when the input holds it, for fetching as the proxy would. */
export function pullSecretConfig(s: Subject, objects: ClusterObjects): string | undefined {
  if (!s.imagePullSecret) return undefined;
  return objects.secrets.find((x) => x.namespace === s.namespace && x.name === s.imagePullSecret)?.dockerConfig;
}

/**
 * An extension with a selector applies to the workloads whose pod labels match, in its
 * namespace (every namespace from the root namespace); with targetRefs, to the named Gateways
 * or Services; with neither, to every workload in its namespace.
 */
export function checkTargets(s: Subject, objects: ClusterObjects, rootNs = DEFAULT_ROOT_NAMESPACE): Finding[] {
  if (!istio(s)) return [];
  const inScope = (w: { namespace: string }) => s.namespace === rootNs || w.namespace === s.namespace;
  if (s.targetRefs.length > 0) {
    const missing = s.targetRefs.filter(
      (r) =>
        !objects.targets.some(
          (t) => t.kind === r.kind && t.name === r.name && t.namespace === (r.namespace ?? s.namespace),
        ),
    );
    if (missing.length === 0) return [];
    const known = objects.targets.filter(inScope).map((t) => `${t.kind} ${t.namespace}/${t.name}`);
    return [
      finding(
        'MW0404',
        s,
        `targetRefs ${missing.map((r) => `${r.kind} ${r.namespace ?? s.namespace}/${r.name}`).join(', ')} match nothing given${known.length ? ` (given: ${known.join(', ')})` : ''}`,
        { missing },
      ),
    ];
  }
  const candidates: Workload[] = objects.workloads.filter(inScope);
  if (candidates.some((w) => selectorMatches(s.selector, w.labels))) return [];
  const sel = s.selector
    ? Object.entries(s.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '(none: all workloads)';
  const seen = candidates.slice(0, 5).map(
    (w) =>
      `${w.kind} ${w.namespace}/${w.name} {${Object.entries(w.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}}`,
  );
  return [
    finding(
      'MW0404',
      s,
      `selector ${sel} matches no workload in ${s.namespace === rootNs ? 'any namespace' : `namespace ${s.namespace}`}${seen.length ? `; workloads there: ${seen.join('; ')}` : '; none given there'}`,
      { selector: s.selector ?? {} },
    ),
  ];
}
