import type { FilterCallbacks, FilterStage } from '../host-sim/filter-manager.js';

const DENIED = Buffer.from('RBAC: access denied');

/**
 * Envoy's RBAC HTTP filter reduced to the two shapes Istio sends as a fallback for a module that
 * could not be fetched: allow everything (fail open) or deny everything (fail closed, 403).
 */
export class RbacStage implements FilterStage {
  readonly failOpen = false;
  constructor(
    readonly name: string,
    private action: 'allow-all' | 'deny-all',
    private cb: FilterCallbacks,
  ) {}

  decodeHeaders() {
    if (this.action === 'allow-all') return 'continue' as const;
    this.cb.sendLocalReply({
      status: 403,
      body: DENIED,
      headers: [],
      grpcStatus: 7,
      details: 'rbac_access_denied_matched_policy[none]',
    });
    return 'stop' as const;
  }
  decodeData() {
    return 'continue' as const;
  }
  decodeTrailers() {
    return 'continue' as const;
  }
  encodeHeaders() {
    return 'continue' as const;
  }
  encodeData() {
    return 'continue' as const;
  }
  encodeTrailers() {
    return 'continue' as const;
  }
  log(): void {}
  destroy(): void {}
}
