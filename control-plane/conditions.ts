/**
 * The condition of one extension, Kubernetes style (type Ready, status, reason, message): what
 * `meshwasm status` prints, what /metrics counts by reason, and what the Kubernetes source writes
 * back to the resource's status. Computed from what the proxies did with what was sent, not only
 * from what the control plane fetched: a NACK turns Serving into ServingPrevious (the proxy keeps
 * the module it ACKed before, as Envoy keeps the last good config) or Degraded (it has none).
 */
export type ConditionReason = 'Pending' | 'Serving' | 'ServingPrevious' | 'Degraded' | 'Fallback' | 'Invalid';
export const CONDITION_REASONS: readonly ConditionReason[] = [
  'Pending',
  'Serving',
  'ServingPrevious',
  'Degraded',
  'Fallback',
  'Invalid',
];

export interface ExtensionConditionStatus {
  type: 'Ready';
  status: 'True' | 'False';
  reason: ConditionReason;
  message: string;
}

/** What the condition is computed from: a slice of ExtensionStatus. */
export interface ConditionInputs {
  state: string;
  error?: string;
  /** The manifest no longer parses or validates; its last valid version is what is served. */
  manifestError?: string;
  fallback?: string;
  digest: string;
  wanted: { digest: string };
  proxies: {
    nodeId: string;
    acked: boolean;
    runningVersion?: string;
    runningDigest?: string;
    nack?: string;
    nackedDigest?: string;
  }[];
}

const short = (d: string | undefined) => (d ? `sha256:${d.slice(0, 12)}` : 'an unpinned module');

/** What the condition needs from the proxies: counts and the NACKs, in connection order. */
export interface ConditionTally {
  /** Proxies the extension was sent to. */
  sent: number;
  /** Of those, proxies that ACKed the version last sent. */
  acked: number;
  nacked: ConditionInputs['proxies'];
}

export function extensionCondition(e: ConditionInputs): ExtensionConditionStatus {
  return conditionFromTally(e, {
    sent: e.proxies.length,
    acked: e.proxies.filter((p) => p.acked).length,
    nacked: e.proxies.filter((p) => p.nack),
  });
}

/**
 * The same condition from a tally kept up to date proxy by proxy (condition-tally.ts), so a
 * status write costs O(1) in the number of proxies instead of a pass over all of them.
 */
export function conditionFromTally(e: Omit<ConditionInputs, 'proxies'>, t: ConditionTally): ExtensionConditionStatus {
  const no = (reason: ConditionReason, message: string): ExtensionConditionStatus => ({
    type: 'Ready',
    status: 'False',
    reason,
    message,
  });
  if (e.state === 'Unsupported') return no('Invalid', e.error ?? 'this extension cannot be served');
  if (e.state === 'Pending') return no('Pending', 'the module is being fetched');
  if (e.manifestError)
    return no('Invalid', `${e.manifestError}; still serving the last valid version of this manifest`);
  if (e.state === 'Fallback')
    return no(
      'Fallback',
      `${e.error ?? 'the module could not be fetched'}; proxies run the ${e.fallback ?? 'RBAC'} fallback instead`,
    );
  const nacked = t.nacked;
  if (nacked.length) {
    const first = nacked[0]!;
    const without = nacked.filter((p) => p.runningVersion === undefined);
    if (without.length)
      return no(
        'Degraded',
        `proxy ${without[0]!.nodeId} rejected ${short(first.nackedDigest)} and has no earlier version of it: ${without[0]!.nack}`,
      );
    return no(
      'ServingPrevious',
      `proxy ${first.nodeId} rejected ${short(first.nackedDigest)} (${first.nack}); it keeps running ${short(first.runningDigest)}` +
        (nacked.length > 1 ? ` (${nacked.length} proxies rejected it)` : ''),
    );
  }
  if (e.state === 'ServingPrevious')
    return no(
      'ServingPrevious',
      `the update to ${e.wanted.digest ? short(e.wanted.digest) : 'the new spec'} failed: ${e.error ?? 'unknown error'}; proxies keep ${short(e.digest)}`,
    );
  return {
    type: 'Ready',
    status: 'True',
    reason: 'Serving',
    message: `serving ${short(e.digest)}; ${t.acked} of ${t.sent} proxies ACKed it`,
  };
}
