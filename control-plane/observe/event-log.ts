import type { Logger } from '../../logging/logger.js';
import type { ExtensionStatus, StatusReport } from '../status.js';
import type { ProxyState } from '../xds/ecds-server.js';
import { observeFetches, type FetchEvent } from './fetch-events.js';
import type { ObservedControlPlane } from './metrics.js';
// Logs quote urls and errors; credentials in a url never reach them (as /status).
import { redactUrlCredentials as redact } from '../redact.js';

const short = (d: string | undefined) => (d ? `sha256:${d.slice(0, 12)}` : '');

/**
 * One log line for every event that changes what a proxy runs, or explains why it does not:
 * proxies connecting and leaving, manifests added / changed / removed / invalid, fetches, pushes,
 * ACKs, NACKs, condition changes (fallback applied, serving previous). Each line has an `event`
 * field (listed in docs/observability.md) so JSON logs can be filtered on it.
 */
export function logControlPlaneEvents(cp: ObservedControlPlane, log: Logger): void {
  const proxyFields = (p: ProxyState) => ({ node: p.nodeId, namespace: p.namespace, labels: p.labels });
  cp.on('connect', (p: ProxyState) => log.info({ event: 'proxy.connected', ...proxyFields(p) }, 'proxy connected'));
  cp.on('disconnect', (p: ProxyState) =>
    log.info({ event: 'proxy.disconnected', ...proxyFields(p) }, 'proxy disconnected'),
  );
  cp.on('push', (p: ProxyState) =>
    log.info(
      {
        event: 'push',
        node: p.nodeId,
        version: p.sent?.versionInfo,
        resources: p.sent?.resources.map((r) => `${r.name}@${r.fallback ? `fallback:${r.fallback}` : short(r.digest)}`),
      },
      'pushed extensions to proxy',
    ),
  );
  cp.on('ack', (p: ProxyState) =>
    log.info({ event: 'ack', node: p.nodeId, version: p.acked?.versionInfo }, 'proxy accepted (ACK)'),
  );
  cp.on('nack', (p: ProxyState) =>
    log.warn(
      {
        event: 'nack',
        node: p.nodeId,
        version: p.nack?.versionInfo,
        reason: p.nack?.message && redact(p.nack.message),
      },
      'proxy rejected (NACK)',
    ),
  );

  observeFetches(cp.opts.resolver).on('fetch', (e: FetchEvent) => {
    if (e.phase === 'started')
      log.debug({ event: 'fetch.started', url: redact(e.url), declared: e.declared }, 'fetch started');
    else if (e.phase === 'succeeded')
      log.info(
        {
          event: 'fetch.succeeded',
          url: redact(e.url),
          digest: e.digest,
          durationMs: e.durationMs,
          cacheHit: e.cacheHit,
        },
        'module fetched',
      );
    else
      log.warn(
        {
          event: 'fetch.failed',
          url: redact(e.url),
          declared: e.declared,
          durationMs: e.durationMs,
          reason: redact(e.error),
        },
        'module fetch failed',
      );
  });

  // Manifest and condition changes are read off each reconciled report, compared with the last.
  let known = new Map<string, ExtensionStatus>();
  let invalid = new Set<string>();
  const onReport = (r: StatusReport) => {
    const next = new Map(r.extensions.map((e) => [e.key, e]));
    for (const [key, e] of next) {
      const before = known.get(key);
      const ref = { extension: key, origin: e.origin };
      if (!before) log.info({ event: 'manifest.added', ...ref, url: e.url, sha256: e.sha256 }, 'manifest added');
      else if (before.url !== e.url || before.sha256 !== e.sha256)
        log.info({ event: 'manifest.changed', ...ref, url: e.url, sha256: e.sha256 }, 'manifest changed');
      if (before?.condition.reason === e.condition.reason) continue;
      const c = e.condition;
      const fields = { event: 'condition', ...ref, reason: c.reason, message: c.message };
      if (c.reason === 'Fallback')
        log.warn({ ...fields, event: 'fallback.applied', fallback: e.fallback }, 'fallback applied');
      else if (c.status === 'True') log.info(fields, `condition ${c.reason}`);
      else log.warn(fields, `condition ${c.reason}`);
    }
    for (const key of known.keys())
      if (!next.has(key)) log.info({ event: 'manifest.removed', extension: key }, 'manifest removed');
    const errors = new Set(r.sourceErrors.map((s) => `${s.origin}\n${s.message}`));
    for (const s of r.sourceErrors)
      if (!invalid.has(`${s.origin}\n${s.message}`))
        log.warn({ event: 'manifest.invalid', origin: s.origin, reason: s.message }, 'manifest invalid');
    known = next;
    invalid = errors;
  };
  cp.on('reconciled', onReport);
  // ACKs and NACKs change conditions too (Serving -> ServingPrevious after a NACK). The report
  // is a pass over every proxy: the first event after a quiet spell reports at once, a burst (a
  // rollout to N proxies brings N ACKs) at most every 250 ms, not once per ACK.
  let pending: NodeJS.Timeout | undefined;
  let last = 0;
  const soon = () => {
    if (pending) return;
    pending = setTimeout(
      () => {
        pending = undefined;
        last = Date.now();
        onReport(cp.status());
      },
      Math.max(0, last + 250 - Date.now()),
    );
    pending.unref();
  };
  for (const ev of ['ack', 'nack', 'disconnect']) cp.on(ev, soon);
}
