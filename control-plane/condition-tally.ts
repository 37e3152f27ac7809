import type { ConditionTally } from './conditions.js';
import { proxyExtensionStatus, type ExtensionProxyStatus } from './status.js';
import type { ProxyState } from './xds/ecds-server.js';

interface Tally {
  sent: number;
  acked: number;
  /** By stream id: stream ids grow in connection order, the order the full report lists proxies in. */
  nacked: Map<number, ExtensionProxyStatus>;
}

const same = (a: ExtensionProxyStatus | undefined, b: ExtensionProxyStatus | undefined) =>
  a === b || (!!a && !!b && JSON.stringify(a) === JSON.stringify(b));

/**
 * Per ECDS resource name: how many proxies were sent it, how many ACKed it, which NACKed it —
 * kept up to date proxy by proxy, so an ACK, NACK, push, connect or disconnect costs O(resources
 * of that proxy) and reading a condition costs O(NACKs), where the full report (status.ts)
 * passes over every proxy. Each proxy's part is computed by the same proxyExtensionStatus() the
 * report uses, so the conditions written from here are the ones /status shows.
 */
export class ConditionTallies {
  private readonly byName = new Map<string, Tally>();
  private readonly byProxy = new Map<number, Map<string, ExtensionProxyStatus>>();

  /** Recomputes one proxy's part; returns the resource names whose tally changed. */
  update(p: ProxyState): string[] {
    const before = this.byProxy.get(p.streamId);
    const names = new Set<string>(before?.keys());
    for (const r of p.sent?.resources ?? []) names.add(r.name);
    const after = new Map<string, ExtensionProxyStatus>();
    const changed: string[] = [];
    for (const name of names) {
      const was = before?.get(name);
      const now = proxyExtensionStatus(p, name);
      if (now) after.set(name, now);
      if (same(was, now)) continue;
      if (was) this.apply(name, p.streamId, was, -1);
      if (now) this.apply(name, p.streamId, now, 1);
      changed.push(name);
    }
    if (after.size) this.byProxy.set(p.streamId, after);
    else this.byProxy.delete(p.streamId);
    return changed;
  }

  /** Takes a disconnected proxy out; returns the resource names whose tally changed. */
  remove(p: ProxyState): string[] {
    const before = this.byProxy.get(p.streamId);
    if (!before) return [];
    this.byProxy.delete(p.streamId);
    for (const [name, s] of before) this.apply(name, p.streamId, s, -1);
    return [...before.keys()];
  }

  tally(name: string): ConditionTally {
    const t = this.byName.get(name);
    if (!t) return { sent: 0, acked: 0, nacked: [] };
    return {
      sent: t.sent,
      acked: t.acked,
      nacked: [...t.nacked].sort(([a], [b]) => a - b).map(([, s]) => s),
    };
  }

  private apply(name: string, streamId: number, s: ExtensionProxyStatus, sign: 1 | -1): void {
    let t = this.byName.get(name);
    if (!t) this.byName.set(name, (t = { sent: 0, acked: 0, nacked: new Map() }));
    t.sent += sign;
    if (s.acked) t.acked += sign;
    if (s.nack) {
      if (sign > 0) t.nacked.set(streamId, s);
      else t.nacked.delete(streamId);
    }
    if (t.sent === 0) this.byName.delete(name);
  }
}
