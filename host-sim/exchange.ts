import type { VmTrap } from './errors.js';
import { WasmHttpFilter } from './wasm-filter.js';
import type { HeaderPairs } from './abi/memory.js';
import type { LocalResponse } from './context.js';
import { FilterManager, type FilterStage, type StreamOutcome } from './filter-manager.js';
import type { Host, LogEntry } from './host.js';
import { toPairs } from './http-upstream.js';
import type { HttpCallRecord, Plugin } from './plugin.js';
import { nestProperties } from './properties.js';

type Body = string | Uint8Array | (string | Uint8Array)[];

export interface ResponseSpec {
  headers?: Record<string, string> | HeaderPairs;
  body?: Body;
  trailers?: Record<string, string> | HeaderPairs;
}

export interface RequestSpec {
  headers: Record<string, string> | HeaderPairs;
  /** One chunk, or several chunks delivered as separate proxy_on_request_body calls. */
  body?: Body;
  trailers?: Record<string, string> | HeaderPairs;
  /** What the upstream answers (default: 200, no body); a function sees the request as it arrived. */
  response?: ResponseSpec | ((upstream: { headers: HeaderPairs; body: Uint8Array }) => ResponseSpec);
  /** Property overrides for this request only ("source.address": "10.1.2.3:4567"). */
  properties?: Record<string, unknown>;
  /**
   * While the request is paused (nothing left to run), advance the virtual clock by this much,
   * running proxy_on_tick as periods elapse: a filter that resumes a request from on_tick.
   */
  advanceWhilePausedMs?: number;
}

export interface ExchangeResult {
  upstream: { reached: boolean; headers: HeaderPairs; body: string; bodyBytes: Uint8Array; trailers: HeaderPairs };
  downstream: {
    status: number;
    headers: HeaderPairs;
    body: string;
    bodyBytes: Uint8Array;
    trailers: HeaderPairs;
    reset: boolean;
  };
  localReply?: { status: number; body: string; headers: HeaderPairs; details: string; grpcStatus: number };
  trap?: StreamOutcome['trap'];
  /** A filter paused the stream and never resumed it (no pending call or timer woke it). */
  stalled: boolean;
  logs: LogEntry[];
  httpCalls: HttpCallRecord[];
  /**
   * Traps outside any stream while this request ran (an http call response, on_queue_ready,
   * on_tick): the VM failed, so later requests see the failure policy.
   */
  vmTraps: VmTrap[];
}

const enc = new TextEncoder();
const toBytes = (b: string | Uint8Array) => (typeof b === 'string' ? enc.encode(b) : b);
function chunks(body: Body | undefined): Uint8Array[] {
  if (body === undefined) return [];
  if (Array.isArray(body)) return body.map(toBytes);
  const b = toBytes(body);
  return b.length === 0 ? [] : [b];
}
function joinBytes(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * Plays one HTTP request through a chain of plugins with an in-memory upstream, as Envoy would:
 * request callbacks, the upstream's answer once the request reached it, response callbacks,
 * then on_log / on_done / on_delete. http call responses and resumes are awaited.
 */
export async function runExchange(host: Host, plugins: Plugin[], spec: RequestSpec): Promise<ExchangeResult> {
  const logStart = host.logs.length;
  const callStart = host.calls.length;
  const vmTrapStart = host.vmTraps.length;
  const up = {
    reached: false,
    complete: false,
    aborted: false,
    headers: [] as HeaderPairs,
    body: [] as Uint8Array[],
    trailers: [] as HeaderPairs,
  };
  const down = {
    status: 0,
    headers: [] as HeaderPairs,
    body: [] as Uint8Array[],
    trailers: [] as HeaderPairs,
    reset: false,
    started: false,
  };

  // A VM that trapped on an earlier request is failed: FAIL_OPEN skips it, FAIL_CLOSE answers 503.
  let preReply: LocalResponse | undefined;
  const live: Plugin[] = [];
  for (const p of plugins) {
    if (!p.vm.failed) live.push(p);
    else if (p.failStrategy !== 'FAIL_OPEN' && !preReply) {
      preReply = { status: 503, body: new Uint8Array(0), headers: [], grpcStatus: 14, details: 'wasm_fail_stream' };
    }
  }

  const requestProps = spec.properties ? nestProperties(spec.properties) : undefined;
  const stages: FilterStage[] = [];
  let respondPosted = false;
  const fm: FilterManager = new FilterManager(stages, {
    upstreamHeaders(h, end) {
      up.reached = true;
      up.headers = h.map(([k, v]) => [k, v]);
      if (end) requestDone();
    },
    upstreamData(c, end) {
      up.body.push(c);
      if (end) requestDone();
    },
    upstreamTrailers(t) {
      up.trailers = t.map(([k, v]) => [k, v]);
      requestDone();
    },
    upstreamAbort() {
      up.aborted = true;
    },
    downstreamHeaders(h) {
      down.started = true;
      down.headers = h.map(([k, v]) => [k, v]);
      down.status = Number(h.find(([k]) => k === ':status')?.[1] ?? 0);
    },
    downstreamData(c) {
      down.body.push(c);
    },
    downstreamTrailers(t) {
      down.trailers = t.map(([k, v]) => [k, v]);
    },
    downstreamReset() {
      down.reset = true;
    },
  });
  for (const p of live) fm.add((cb) => new WasmHttpFilter(p, requestProps).bind(cb));

  function requestDone(): void {
    if (up.complete) return;
    up.complete = true;
    if (respondPosted) return;
    respondPosted = true;
    // The upstream answers on a later turn of the event loop, never inside a filter callback.
    host.post(() => respond());
  }

  function respond(): void {
    if (up.aborted || fm.isComplete) return;
    const bodyBytes = joinBytes(up.body.length ? up.body : [new Uint8Array(0)]);
    const r =
      typeof spec.response === 'function'
        ? spec.response({ headers: up.headers, body: bodyBytes })
        : (spec.response ?? {});
    const headers = toPairs(r.headers);
    if (!headers.some(([k]) => k === ':status')) headers.unshift([':status', '200']);
    const body = chunks(r.body);
    const trailers = toPairs(r.trailers);
    fm.encodeHeaders(headers, body.length === 0 && trailers.length === 0);
    for (const [i, c] of body.entries()) fm.encodeData(c, i === body.length - 1 && trailers.length === 0);
    if (trailers.length) fm.encodeTrailers(trailers);
  }

  if (preReply) {
    fm.sendLocalReply(preReply);
  } else {
    const headers = toPairs(spec.headers);
    const body = chunks(spec.body);
    const trailers = toPairs(spec.trailers);
    fm.decodeHeaders(headers, body.length === 0 && trailers.length === 0);
    for (const [i, c] of body.entries()) fm.decodeData(c, i === body.length - 1 && trailers.length === 0);
    if (trailers.length) fm.decodeTrailers(trailers);
  }
  await host.settle();
  if (spec.advanceWhilePausedMs && !fm.isComplete) {
    host.advance(spec.advanceWhilePausedMs);
    await host.settle();
  }

  const stalled = !fm.isComplete;
  if (stalled) fm.complete();
  await host.settle();

  const lr = fm.outcome.localReply;
  const upBody = joinBytes(up.body.length ? up.body : [new Uint8Array(0)]);
  const downBody = joinBytes(down.body.length ? down.body : [new Uint8Array(0)]);
  return {
    upstream: {
      reached: up.reached,
      headers: up.headers,
      body: Buffer.from(upBody).toString('utf8'),
      bodyBytes: upBody,
      trailers: up.trailers,
    },
    downstream: {
      status: down.status,
      headers: down.headers,
      body: Buffer.from(downBody).toString('utf8'),
      bodyBytes: downBody,
      trailers: down.trailers,
      reset: down.reset || fm.outcome.reset,
    },
    localReply: lr
      ? {
          status: lr.status,
          body: Buffer.from(lr.body).toString('utf8'),
          headers: lr.headers,
          details: lr.details,
          grpcStatus: lr.grpcStatus,
        }
      : undefined,
    trap: fm.outcome.trap,
    stalled,
    logs: host.logs.slice(logStart),
    httpCalls: host.calls.slice(callStart),
    vmTraps: host.vmTraps.slice(vmTrapStart),
  };
}
