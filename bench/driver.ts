import { WasmHttpFilter } from '../host-sim/wasm-filter.js';
import type { HeaderPairs } from '../host-sim/abi/memory.js';
import type { RequestSpec, ResponseSpec } from '../host-sim/exchange.js';
import { FilterManager, type FilterStage, type StreamSinks } from '../host-sim/filter-manager.js';
import type { Host } from '../host-sim/host.js';
import { toPairs } from '../host-sim/http-upstream.js';
import type { Plugin } from '../host-sim/plugin.js';
import { nestProperties, type PropertyValue } from '../host-sim/properties.js';
import { HostError } from '../host-sim/errors.js';

/** A request of the benchmark, prepared once: pairs and bytes instead of records and strings. */
interface PreparedRequest {
  headers: HeaderPairs;
  body: Uint8Array[];
  trailers: HeaderPairs;
  responseHeaders: HeaderPairs;
  responseBody: Uint8Array[];
  responseTrailers: HeaderPairs;
  properties: Record<string, PropertyValue> | undefined;
}

/** What a run of requests did, beyond taking time: a filter that answers locally is still measured. */
export interface DriverTally {
  requests: number;
  reachedUpstream: number;
  localReplies: number;
  stalled: number;
}

const enc = new TextEncoder();
function chunks(body: RequestSpec['body']): Uint8Array[] {
  if (body === undefined) return [];
  const list = Array.isArray(body) ? body : [body];
  return list.map((b) => (typeof b === 'string' ? enc.encode(b) : b)).filter((b) => b.length > 0);
}

export function prepareRequest(spec: RequestSpec): PreparedRequest {
  if (typeof spec.response === 'function') {
    throw new HostError(
      'invalid-input',
      'bench: a response function is not supported; give the upstream answer as headers/body',
    );
  }
  const r: ResponseSpec = spec.response ?? {};
  const responseHeaders = toPairs(r.headers);
  if (!responseHeaders.some(([k]) => k === ':status')) responseHeaders.unshift([':status', '200']);
  return {
    headers: toPairs(spec.headers),
    body: chunks(spec.body),
    trailers: toPairs(spec.trailers),
    responseHeaders,
    responseBody: chunks(r.body),
    responseTrailers: toPairs(r.trailers),
    properties: spec.properties ? nestProperties(spec.properties) : undefined,
  };
}

const copyPairs = (h: HeaderPairs): HeaderPairs => {
  const out: HeaderPairs = new Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = [h[i]![0], h[i]![1]];
  return out;
};

/**
 * Plays requests through a chain of plugins synchronously: no promise per request, the upstream
 * answers as soon as the request has fully reached it (after the filter callback that let it go
 * returned, as in runExchange), and ready work (http call answers from synchronous responders) runs
 * via host.drain(). Envoy's callback order is FilterManager's, the same as `meshwasm run`.
 */
export class SyncDriver {
  readonly tally: DriverTally = { requests: 0, reachedUpstream: 0, localReplies: 0, stalled: 0 };
  private readonly requests: PreparedRequest[];
  private next = 0;
  // Per-request state the sinks write; reset at the start of each request (one sinks object for all).
  private upComplete = false;
  private upAborted = false;
  private upReached = false;
  private readonly sinks: StreamSinks;

  constructor(
    private readonly host: Host,
    private readonly plugins: Plugin[],
    specs: RequestSpec[],
  ) {
    if (specs.length === 0) throw new HostError('invalid-input', 'bench: the scenario has no requests');
    this.requests = specs.map(prepareRequest);
    this.sinks = {
      upstreamHeaders: (_h, end) => {
        this.upReached = true;
        if (end) this.upComplete = true;
      },
      upstreamData: (_c, end) => {
        if (end) this.upComplete = true;
      },
      upstreamTrailers: () => {
        this.upComplete = true;
      },
      upstreamAbort: () => {
        this.upAborted = true;
      },
      downstreamHeaders: () => {},
      downstreamData: () => {},
      downstreamTrailers: () => {},
      downstreamReset: () => {},
    };
  }

  /** Plays `n` requests, cycling through the scenario's requests. */
  run(n: number): void {
    for (let i = 0; i < n; i++) this.one();
  }

  one(): void {
    const req = this.requests[this.next]!;
    this.next = this.next + 1 === this.requests.length ? 0 : this.next + 1;
    this.upComplete = false;
    this.upAborted = false;
    this.upReached = false;
    const fm = new FilterManager([] as FilterStage[], this.sinks);
    for (let i = 0; i < this.plugins.length; i++) {
      const p = this.plugins[i]!;
      fm.add((cb) => new WasmHttpFilter(p, req.properties).bind(cb));
    }
    const body = req.body;
    const hasTrailers = req.trailers.length > 0;
    fm.decodeHeaders(copyPairs(req.headers), body.length === 0 && !hasTrailers);
    for (let i = 0; i < body.length; i++) fm.decodeData(body[i]!, i === body.length - 1 && !hasTrailers);
    if (hasTrailers) fm.decodeTrailers(copyPairs(req.trailers));
    if (this.host.busy) this.host.drain();
    if (this.upComplete && !this.upAborted && !fm.isComplete) this.respond(fm, req);
    if (this.host.busy) this.host.drain();
    this.tally.requests++;
    if (this.upReached) this.tally.reachedUpstream++;
    if (fm.outcome.localReply) this.tally.localReplies++;
    for (let i = 0; i < this.plugins.length; i++) {
      const failed = this.plugins[i]!.vm.failed;
      if (failed) {
        throw new HostError(
          'invalid-input',
          `bench: the filter trapped in ${failed.callback}${failed.function ? ` (${failed.function})` : ''} ` +
            `on request ${this.tally.requests}: ${failed.message}; run the request with "meshwasm run" to see why`,
        );
      }
    }
    if (!fm.isComplete) {
      if (this.host.busy) {
        throw new HostError(
          'invalid-input',
          'bench: the filter waits on an http call answered asynchronously; ' +
            'in-process benchmarks need clusters with static answers in the scenario (use --proxy for real upstreams)',
        );
      }
      this.tally.stalled++;
      fm.complete();
    }
  }

  private respond(fm: FilterManager, req: PreparedRequest): void {
    const body = req.responseBody;
    const hasTrailers = req.responseTrailers.length > 0;
    fm.encodeHeaders(copyPairs(req.responseHeaders), body.length === 0 && !hasTrailers);
    for (let i = 0; i < body.length; i++) fm.encodeData(body[i]!, i === body.length - 1 && !hasTrailers);
    if (hasTrailers) fm.encodeTrailers(copyPairs(req.responseTrailers));
  }
}
