import type { HeaderPairs } from '../abi/memory.js';
import { createHarness, type HarnessOptions } from '../harness/index.js';
import type { ClusterTarget } from '../http-upstream.js';
import type { FailStrategy } from '../plugin.js';
import type { GrpcCallRecord } from '../grpc-callouts.js';
import type { TrapFrame } from '../errors.js';
import type { Scenario } from './scenario.js';

export interface HeaderDiff {
  added: HeaderPairs;
  removed: HeaderPairs;
  changed: { name: string; from: string; to: string }[];
}

export interface RequestReport {
  name: string;
  // Headers are ordered [name, value] pairs, as the harness gives them (a repeated header, such as
  // set-cookie, stays two pairs).
  upstream: { reached: boolean; headers: HeaderPairs; body: string; diff: HeaderDiff };
  downstream: { status: number; headers: HeaderPairs; body: string; diff: HeaderDiff; reset: boolean };
  localReply?: { status: number; body: string; details: string; headers: HeaderPairs };
  trap?: { callback: string; function?: string; message: string; policy: string; frames?: TrapFrame[] };
  /**
   * Traps outside a stream while this request (or its advanceMs) ran: an http call response,
   * on_tick, on_queue_ready. Each fails the VM, as in Envoy.
   */
  vmTraps: {
    plugin: string;
    callback: string;
    function?: string;
    message: string;
    logged?: string;
    frames?: TrapFrame[];
  }[];
  stalled: boolean;
  logs: { level: string; message: string }[];
  httpCalls: {
    cluster: string;
    headers: HeaderPairs;
    body: string;
    timeoutMs: number;
    response?: unknown;
  }[];
  grpcCalls: GrpcCallReport[];
  metrics: Record<string, number>;
}

export interface GrpcCallReport {
  kind: 'unary' | 'stream';
  cluster: string;
  service: string;
  method: string;
  initialMetadata: Record<string, string>;
  timeoutMs: number;
  sent: string[];
  outcome?: { status: number; message: string } | 'cancelled';
}

export interface ConnectionReport {
  name: string;
  upstream: { received: string; ended: boolean };
  downstream: { received: string; ended: boolean };
  closed?: { by: string; reason: string };
  trap?: { callback: string; function?: string; message: string; frames?: TrapFrame[] };
  logs: { level: string; message: string }[];
  grpcCalls: GrpcCallReport[];
  metrics: Record<string, number>;
}

export interface ScenarioReport {
  module: string;
  rootId: string;
  startup: { logs: { level: string; message: string }[] };
  requests: RequestReport[];
  connections: ConnectionReport[];
}

function grpcReports(records: GrpcCallRecord[]): GrpcCallReport[] {
  return records.map((c) => ({
    kind: c.kind,
    cluster: c.cluster,
    service: c.service,
    method: c.method,
    initialMetadata: toRecord(c.initialMetadata),
    timeoutMs: c.timeoutMs,
    sent: c.sent,
    outcome: c.outcome,
  }));
}

/** Multi-valued headers show as "a, b" in reports; the exact pairs are in the harness result. */
function toRecord(h: HeaderPairs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of h) out[k] = k in out ? `${out[k]}, ${v}` : v;
  return out;
}

export function diffHeaders(before: HeaderPairs, after: HeaderPairs): HeaderDiff {
  const b = toRecord(before),
    a = toRecord(after);
  const diff: HeaderDiff = { added: [], removed: [], changed: [] };
  for (const [k, v] of Object.entries(a)) {
    if (!(k in b)) diff.added.push([k, v]);
    else if (b[k] !== v) diff.changed.push({ name: k, from: b[k]!, to: v });
  }
  for (const [k, v] of Object.entries(b)) if (!(k in a)) diff.removed.push([k, v]);
  return diff;
}

const lower = (h: Record<string, string> | HeaderPairs | undefined): HeaderPairs =>
  !h
    ? []
    : Array.isArray(h)
      ? h.map(([k, v]) => [k.toLowerCase(), v])
      : Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]);

/** Plays a scenario through a module and reports what the filter did to each request. */
export async function runScenario(
  module: string | Uint8Array,
  scenario: Scenario,
  opts: {
    config?: unknown;
    vmConfig?: unknown;
    rootId?: string;
    failStrategy?: FailStrategy;
    label?: string;
    /** The Envoy release whose imports the module may use; default the newest known. */
    envoyVersion?: string;
    /**
     * Run without the proxy's deadlines and memory limit: a debugger paused on a breakpoint must
     * not be stopped, and metering would rewrite the module and drop its sourceMappingURL.
     */
    unlimited?: boolean;
    /** Where module bytes were read from, to find a debug build's source map for trap frames. */
    modulePath?: string;
  } = {},
): Promise<ScenarioReport> {
  const clusters: Record<string, ClusterTarget> = {};
  for (const [name, answer] of Object.entries(scenario.clusters ?? {})) {
    clusters[name] =
      typeof answer === 'object' && answer !== null && 'url' in answer ? answer.url : () => answer as never;
  }
  const harnessOpts: HarnessOptions = {
    module,
    modulePath: opts.modulePath,
    config: opts.config ?? scenario.config,
    vmConfig: opts.vmConfig ?? scenario.vmConfig,
    rootId: opts.rootId ?? scenario.rootId ?? '',
    failStrategy: opts.failStrategy,
    properties: scenario.properties,
    clusters,
    grpcClusters: Object.fromEntries(Object.entries(scenario.grpcClusters ?? {}).map(([k, reply]) => [k, () => reply])),
    label: opts.label,
    envoyVersion: opts.envoyVersion,
    // The proxy's deadlines and memory limit: a filter that never returns is reported as a trap.
    ...(opts.unlimited ? {} : { limits: {} }),
  };
  const h = await createHarness(harnessOpts);
  const startupLogs = h.logs.map((l) => ({ level: l.level, message: l.message }));
  const requests: RequestReport[] = [];
  for (const [i, step] of scenario.requests.entries()) {
    const vmTrapStart = h.vmTraps.length;
    const grpcBefore = h.grpcCalls().length;
    const r = await h.request({ ...step.request, response: step.response });
    const responseHeaders = lower(step.response?.headers);
    if (!responseHeaders.some(([k]) => k === ':status')) responseHeaders.unshift([':status', '200']);
    requests.push({
      name: step.name ?? `request ${i + 1}`,
      upstream: {
        reached: r.upstream.reached,
        headers: r.upstream.headers,
        body: r.upstream.body,
        // Nothing reached the upstream (a local reply): nothing was added or removed on the way there.
        diff: r.upstream.reached
          ? diffHeaders(lower(step.request.headers), r.upstream.headers)
          : { added: [], removed: [], changed: [] },
      },
      downstream: {
        status: r.downstream.status,
        headers: r.downstream.headers,
        body: r.downstream.body,
        diff: diffHeaders(responseHeaders, r.downstream.headers),
        reset: r.downstream.reset,
      },
      localReply: r.localReply
        ? {
            status: r.localReply.status,
            body: r.localReply.body,
            details: r.localReply.details,
            headers: r.localReply.headers,
          }
        : undefined,
      trap: r.trap
        ? {
            callback: r.trap.callback,
            function: r.trap.function,
            message: r.trap.message,
            policy: r.trap.policy,
            frames: r.trap.frames,
          }
        : undefined,
      vmTraps: [],
      stalled: r.stalled,
      logs: r.logs.map((l) => ({ level: l.level, message: l.message })),
      httpCalls: r.httpCalls.map((c) => ({
        cluster: c.cluster,
        headers: c.headers,
        body: Buffer.from(c.body).toString('utf8'),
        timeoutMs: c.timeoutMs,
        response: c.response,
      })),
      grpcCalls: grpcReports(h.grpcCalls().slice(grpcBefore)),
      metrics: h.host.metrics.snapshot(),
    });
    if (step.advanceMs) await h.tick(step.advanceMs);
    requests[requests.length - 1]!.vmTraps = h.vmTraps.slice(vmTrapStart).map((t) => ({
      plugin: t.plugin,
      callback: t.callback,
      function: t.function,
      message: t.message,
      logged: t.logged,
      frames: t.frames,
    }));
  }
  const connections: ConnectionReport[] = [];
  for (const [i, spec] of (scenario.connections ?? []).entries()) {
    const logStart = h.logs.length;
    const grpcBefore = h.grpcCalls().length;
    const c = await h.connection({ properties: spec.properties });
    for (const step of spec.steps) {
      if ('close' in step) await c.close();
      else if ('downstream' in step) await c.sendDownstream(step.downstream, { end: step.end });
      else await c.sendUpstream(step.upstream, { end: step.end });
    }
    const closed = c.closed;
    connections.push({
      name: spec.name ?? `connection ${i + 1}`,
      upstream: { received: c.upstreamReceived(), ended: c.upstreamEnded },
      downstream: { received: c.downstreamReceived(), ended: c.downstreamEnded },
      closed: closed ? { by: closed.by, reason: closed.reason } : undefined,
      trap: closed?.trap
        ? {
            callback: closed.trap.callback,
            function: closed.trap.function,
            message: closed.trap.message,
            frames: closed.trap.frames,
          }
        : undefined,
      logs: h.logs.slice(logStart).map((l) => ({ level: l.level, message: l.message })),
      grpcCalls: grpcReports(h.grpcCalls().slice(grpcBefore)),
      metrics: h.host.metrics.snapshot(),
    });
  }
  return {
    module: opts.label ?? (typeof module === 'string' ? module : 'module'),
    rootId: harnessOpts.rootId ?? '',
    startup: { logs: startupLogs },
    requests,
    connections,
  };
}
