import type { HeaderPairs } from './abi/memory.js';
import { BodyBuffer } from './body-buffer.js';
import type { LocalResponse } from './context.js';
import type { TrapInfo } from './errors.js';

/** A body chunk a filter may rewrite in place (proxy_set_buffer_bytes replaces `bytes`). */
export interface BodyRef {
  bytes: Uint8Array;
}

export type HeadersVerdict = 'continue' | 'stop';
export type DataVerdict = 'continue' | 'buffer' | 'nobuffer';
export type Verdict<T> = T | { trap: TrapInfo };

/** One HTTP filter in a chain, as Envoy's FilterManager sees it. */
export interface FilterStage {
  readonly name: string;
  /** FAIL_OPEN: a trap lets the request continue without this filter. */
  readonly failOpen: boolean;
  decodeHeaders(headers: HeaderPairs, endStream: boolean): Verdict<HeadersVerdict>;
  decodeData(body: BodyRef, endStream: boolean): Verdict<DataVerdict>;
  decodeTrailers(trailers: HeaderPairs): Verdict<HeadersVerdict>;
  encodeHeaders(headers: HeaderPairs, endStream: boolean): Verdict<HeadersVerdict>;
  encodeData(body: BodyRef, endStream: boolean): Verdict<DataVerdict>;
  encodeTrailers(trailers: HeaderPairs): Verdict<HeadersVerdict>;
  /** Access-log time (proxy_on_log), then the end of the stream (proxy_on_done, proxy_on_delete). */
  log(view: { requestHeaders?: HeaderPairs; responseHeaders?: HeaderPairs; responseTrailers?: HeaderPairs }): void;
  destroy(): void;
}

/** What a filter may ask of the stream it is in. */
export interface FilterCallbacks {
  continueDecoding(): void;
  continueEncoding(): void;
  sendLocalReply(response: LocalResponse): void;
  resetStream(): void;
}

/** Where the request goes after the last filter, and where the response goes after the first. */
export interface StreamSinks {
  upstreamHeaders(headers: HeaderPairs, endStream: boolean): void;
  upstreamData(chunk: Uint8Array, endStream: boolean): void;
  upstreamTrailers(trailers: HeaderPairs): void;
  /** The request will not reach (or stops going to) the upstream: a local reply or a reset. */
  upstreamAbort(): void;
  downstreamHeaders(headers: HeaderPairs, endStream: boolean): void;
  downstreamData(chunk: Uint8Array, endStream: boolean): void;
  downstreamTrailers(trailers: HeaderPairs): void;
  downstreamReset(): void;
}

interface StageState {
  started: boolean;
  stoppedAtHeaders: boolean;
  headersEnd: boolean;
  buffering: boolean;
  buffer: BodyBuffer | null;
  endSeen: boolean;
  stoppedAtData: boolean;
  stoppedAtTrailers: boolean;
  trailers: HeaderPairs | null;
  continueRequested: boolean;
  bypassed: boolean;
}

const newState = (): StageState => ({
  started: false,
  stoppedAtHeaders: false,
  headersEnd: false,
  buffering: false,
  buffer: null,
  endSeen: false,
  stoppedAtData: false,
  stoppedAtTrailers: false,
  trailers: null,
  continueRequested: false,
  bypassed: false,
});

type Dir = 'decode' | 'encode';
const EMPTY = new Uint8Array(0);

/**
 * Envoy's default per-stream buffer limit: the connection manager gives the filter manager the
 * listener's per_connection_buffer_limit_bytes, 1 MiB unless configured.
 */
export const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;

export interface FilterManagerOptions {
  /** Most body bytes one filter may hold, per direction. Default 1 MiB (Envoy's default). */
  bufferLimitBytes?: number;
}

export interface StreamOutcome {
  localReply?: LocalResponse;
  /** A filter that trapped, and what the failure policy did about it. */
  trap?: TrapInfo & { filter: string; policy: 'fail-open' | 'fail-closed' };
  reset: boolean;
  /** A filter held more body than the buffer limit (Envoy's rq_too_large / rs_too_large). */
  tooLarge?: 'request' | 'response';
}

/**
 * Plays Envoy's HTTP filter chain for one stream: request callbacks in filter order, response
 * callbacks in reverse order; a filter that stops holds everything behind it (headers stop =
 * StopAllIteration with buffering of body and trailers; body stop = StopIterationAndBuffer, the
 * filter then sees the accumulated body) until it continues; local replies skip the upstream and
 * run through the response path of the filters that saw the request.
 */
export class FilterManager {
  private states: Record<Dir, StageState[]>;
  private requestHeaders: HeaderPairs | undefined;
  private responseHeaders: HeaderPairs | undefined;
  private responseTrailers: HeaderPairs | undefined;
  private decodeStopped = false;
  private encodeStopped = false;
  private downstreamStarted = false;
  private downstreamEnded = false;
  private completed = false;
  readonly outcome: StreamOutcome = { reset: false };
  private readonly bufferLimit: number;

  constructor(
    private stages: FilterStage[],
    private sinks: StreamSinks,
    opts: FilterManagerOptions = {},
  ) {
    this.bufferLimit = opts.bufferLimitBytes ?? DEFAULT_BUFFER_LIMIT_BYTES;
    this.states = { decode: stages.map(newState), encode: stages.map(newState) };
  }

  /** Appends a filter (before the stream starts); it gets callbacks bound to its position. */
  add(makeStage: (cb: FilterCallbacks) => FilterStage): void {
    const index = this.stages.length;
    this.stages.push(makeStage(this.callbacksFor(index)));
    this.states.decode.push(newState());
    this.states.encode.push(newState());
  }

  /** Each filter gets callbacks bound to its position in the chain. */
  callbacksFor(index: number): FilterCallbacks {
    return new StageCallbacks(this, index);
  }

  /** proxy_continue_stream from the filter at `index` (StageCallbacks calls in here). */
  continueAt(dir: Dir, index: number): void {
    this.resume(dir, index);
  }

  get isComplete(): boolean {
    return this.completed;
  }

  get responseComplete(): boolean {
    return this.downstreamEnded;
  }

  /** Positions in processing order: request path 0..n-1, response path n-1..0. */
  private inChain(dir: Dir, i: number): boolean {
    return dir === 'decode' ? i < this.stages.length : i >= 0;
  }
  private next(dir: Dir, i: number): number {
    return dir === 'decode' ? i + 1 : i - 1;
  }
  private first(dir: Dir): number {
    return dir === 'decode' ? 0 : this.stages.length - 1;
  }
  private stopped(dir: Dir): boolean {
    return dir === 'decode' ? this.decodeStopped : this.encodeStopped;
  }

  // --- request path ---------------------------------------------------------------------
  decodeHeaders(headers: HeaderPairs, endStream: boolean): void {
    this.requestHeaders = headers;
    this.doHeaders('decode', this.first('decode'), headers, endStream);
  }
  decodeData(chunk: Uint8Array, endStream: boolean): void {
    this.doData('decode', this.first('decode'), chunk, endStream);
  }
  decodeTrailers(trailers: HeaderPairs): void {
    this.doTrailers('decode', this.first('decode'), trailers);
  }

  // --- response path --------------------------------------------------------------------
  encodeHeaders(headers: HeaderPairs, endStream: boolean): void {
    if (this.encodeStopped || this.downstreamStarted) return;
    this.responseHeaders = headers;
    this.doHeaders('encode', this.first('encode'), headers, endStream);
  }
  encodeData(chunk: Uint8Array, endStream: boolean): void {
    if (this.encodeStopped) return;
    this.doData('encode', this.first('encode'), chunk, endStream);
  }
  encodeTrailers(trailers: HeaderPairs): void {
    if (this.encodeStopped) return;
    this.responseTrailers = trailers;
    this.doTrailers('encode', this.first('encode'), trailers);
  }

  private trapped(dir: Dir, i: number, trap: TrapInfo): 'continue' | 'halt' {
    const stage = this.stages[i]!;
    this.states[dir][i]!.bypassed = true;
    this.states[dir === 'decode' ? 'encode' : 'decode'][i]!.bypassed = true;
    this.outcome.trap = { ...trap, filter: stage.name, policy: stage.failOpen ? 'fail-open' : 'fail-closed' };
    if (stage.failOpen) return 'continue';
    // Envoy's failStream: 503 with details wasm_fail_stream.
    this.sendLocalReply({ status: 503, body: EMPTY, headers: [], grpcStatus: 14, details: 'wasm_fail_stream' });
    return 'halt';
  }

  private doHeaders(dir: Dir, from: number, headers: HeaderPairs, endStream: boolean): void {
    for (let i = from; this.inChain(dir, i); i = this.next(dir, i)) {
      if (this.stopped(dir)) return;
      const st = this.states[dir][i]!;
      const stage = this.stages[i]!;
      st.started = true;
      st.headersEnd = endStream;
      if (st.bypassed) continue;
      const v = dir === 'decode' ? stage.decodeHeaders(headers, endStream) : stage.encodeHeaders(headers, endStream);
      if (this.stopped(dir)) return;
      if (typeof v === 'object') {
        if (this.trapped(dir, i, v.trap) === 'halt') return;
        continue;
      }
      if (v === 'stop' && !st.continueRequested) {
        st.stoppedAtHeaders = true;
        return;
      }
      st.continueRequested = false;
    }
    if (dir === 'decode') this.sinks.upstreamHeaders(headers, endStream);
    else this.emitDownstreamHeaders(headers, endStream);
  }

  private doData(dir: Dir, from: number, chunk: Uint8Array, endStream: boolean): void {
    for (let i = from; this.inChain(dir, i); i = this.next(dir, i)) {
      if (this.stopped(dir)) return;
      const st = this.states[dir][i]!;
      const stage = this.stages[i]!;
      if (st.bypassed) continue;
      if (st.stoppedAtHeaders) {
        (st.buffer ??= new BodyBuffer()).append(chunk);
        st.endSeen ||= endStream;
        this.checkBufferLimit(dir, st.buffer);
        return;
      }
      if (st.stoppedAtData) return;
      let ref: BodyRef;
      if (st.buffering && st.buffer) {
        st.buffer.append(chunk);
        if (this.checkBufferLimit(dir, st.buffer)) return;
        ref = st.buffer;
      } else ref = { bytes: chunk };
      st.endSeen ||= endStream;
      const v = dir === 'decode' ? stage.decodeData(ref, endStream) : stage.encodeData(ref, endStream);
      if (this.stopped(dir)) return;
      if (typeof v === 'object') {
        if (this.trapped(dir, i, v.trap) === 'halt') return;
        chunk = ref.bytes;
        continue;
      }
      if (v === 'continue' || st.continueRequested) {
        st.continueRequested = false;
        st.buffering = false;
        st.buffer = null;
        chunk = ref.bytes;
        continue;
      }
      if (v === 'buffer') {
        st.buffering = true;
        st.buffer = ref instanceof BodyBuffer ? ref : new BodyBuffer(ref.bytes);
        if (this.checkBufferLimit(dir, st.buffer)) return;
      } else {
        st.buffering = false;
        st.buffer = null;
      }
      if (endStream) st.stoppedAtData = true;
      return;
    }
    if (dir === 'decode') this.sinks.upstreamData(chunk, endStream);
    else this.emitDownstreamData(chunk, endStream);
  }

  private doTrailers(dir: Dir, from: number, trailers: HeaderPairs): void {
    for (let i = from; this.inChain(dir, i); i = this.next(dir, i)) {
      if (this.stopped(dir)) return;
      const st = this.states[dir][i]!;
      const stage = this.stages[i]!;
      if (st.bypassed) continue;
      if (st.stoppedAtHeaders || st.stoppedAtData) {
        st.trailers = trailers;
        return;
      }
      const v = dir === 'decode' ? stage.decodeTrailers(trailers) : stage.encodeTrailers(trailers);
      if (this.stopped(dir)) return;
      if (typeof v === 'object') {
        if (this.trapped(dir, i, v.trap) === 'halt') return;
      } else if (v === 'stop' && !st.continueRequested) {
        st.stoppedAtTrailers = true;
        st.trailers = trailers;
        return;
      }
      st.continueRequested = false;
      this.flushBuffered(dir, i);
    }
    if (dir === 'decode') this.sinks.upstreamTrailers(trailers);
    else this.emitDownstreamTrailers(trailers);
  }

  /** Body a filter kept (buffering, no end of stream yet) goes on before the trailers do. */
  private flushBuffered(dir: Dir, i: number): void {
    const st = this.states[dir][i]!;
    if (st.buffer && st.buffer.length > 0) {
      const b = st.buffer.bytes;
      st.buffer = null;
      st.buffering = false;
      this.forwardData(dir, i, b, false);
    }
  }

  private forwardData(dir: Dir, i: number, chunk: Uint8Array, endStream: boolean): void {
    const n = this.next(dir, i);
    if (n < 0 || n >= this.stages.length) {
      if (dir === 'decode') this.sinks.upstreamData(chunk, endStream);
      else this.emitDownstreamData(chunk, endStream);
    } else this.doData(dir, n, chunk, endStream);
  }

  /** proxy_continue_stream: let what the filter held go on. */
  private resume(dir: Dir, i: number): void {
    if (this.stopped(dir) || this.completed) return;
    const st = this.states[dir][i]!;
    if (st.stoppedAtHeaders) {
      st.stoppedAtHeaders = false;
      const headers = dir === 'decode' ? this.requestHeaders! : this.responseHeaders!;
      const n = this.next(dir, i);
      if (n < 0 || n >= this.stages.length) {
        if (dir === 'decode') this.sinks.upstreamHeaders(headers, st.headersEnd);
        else this.emitDownstreamHeaders(headers, st.headersEnd);
      } else this.doHeaders(dir, n, headers, st.headersEnd);
      // The filter that stopped now sees the body that arrived meanwhile (Envoy's CanStartFromCurrent).
      if (!st.headersEnd && (st.buffer || st.endSeen)) {
        const b = st.buffer?.bytes ?? EMPTY;
        st.buffer = null;
        this.doData(dir, i, b, st.endSeen);
      }
      if (st.trailers && !st.stoppedAtData && !st.stoppedAtHeaders) {
        const t = st.trailers;
        st.trailers = null;
        this.doTrailers(dir, i, t);
      }
      return;
    }
    if (st.stoppedAtData) {
      st.stoppedAtData = false;
      const b = st.buffer?.bytes ?? EMPTY;
      st.buffer = null;
      st.buffering = false;
      this.forwardData(dir, i, b, true);
      return;
    }
    if (st.stoppedAtTrailers) {
      st.stoppedAtTrailers = false;
      this.flushBuffered(dir, i);
      const t = st.trailers!;
      st.trailers = null;
      const n = this.next(dir, i);
      if (n < 0 || n >= this.stages.length) {
        if (dir === 'decode') this.sinks.upstreamTrailers(t);
        else this.emitDownstreamTrailers(t);
      } else this.doTrailers(dir, n, t);
      return;
    }
    // Continue asked for while the filter is still inside its callback: honour it when it returns.
    st.continueRequested = true;
  }

  /**
   * Past the buffer limit Envoy answers for the filter that buffers (filter_manager.cc
   * requestDataTooLarge / responseDataTooLarge): 413 on the request path; 500 on the response
   * path, or a reset once the response has started. Returns true when the stream was ended.
   */
  private checkBufferLimit(dir: Dir, buffer: BodyBuffer): boolean {
    if (buffer.length <= this.bufferLimit || this.completed) return false;
    buffer.bytes = EMPTY;
    if (dir === 'decode') {
      this.outcome.tooLarge = 'request';
      this.sendLocalReply({
        status: 413,
        body: Buffer.from('Payload Too Large'),
        headers: [],
        grpcStatus: 8,
        details: 'request_payload_too_large',
      });
    } else {
      this.outcome.tooLarge = 'response';
      if (this.downstreamStarted) this.reset();
      else
        this.sendLocalReply({
          status: 500,
          body: Buffer.from('Internal Server Error'),
          headers: [],
          grpcStatus: 13,
          details: 'response_payload_too_large',
        });
    }
    return true;
  }

  sendLocalReply(r: LocalResponse): void {
    if (this.completed) return;
    this.outcome.localReply = r;
    if (!this.decodeStopped) {
      this.decodeStopped = true;
      this.sinks.upstreamAbort();
    }
    if (this.downstreamStarted) {
      // Too late for a reply: Envoy resets a stream whose response already started.
      this.reset();
      return;
    }
    const headers: HeaderPairs = [[':status', String(r.status)]];
    if (r.body.length > 0) {
      headers.push(['content-length', String(r.body.length)]);
      headers.push(['content-type', 'text/plain']);
    }
    for (const h of r.headers) headers.push(h);
    // A reply sent from the response path goes straight out; one from the request path runs
    // through the response callbacks of the filters that saw the request.
    const fromEncode = this.responseHeaders !== undefined;
    this.encodeStopped = false;
    this.states.encode = this.stages.map((_, i) => ({
      ...newState(),
      bypassed: this.states.encode[i]!.bypassed || !this.states.decode[i]!.started,
    }));
    this.responseHeaders = headers;
    this.responseTrailers = undefined;
    if (fromEncode) {
      this.encodeStopped = true;
      this.emitDownstreamHeaders(headers, r.body.length === 0);
      if (r.body.length > 0) this.emitDownstreamData(r.body, true);
      return;
    }
    this.doHeaders('encode', this.first('encode'), headers, r.body.length === 0);
    if (r.body.length > 0 && !this.encodeStopped) this.doData('encode', this.first('encode'), r.body, true);
  }

  reset(): void {
    if (this.completed) return;
    this.outcome.reset = true;
    this.decodeStopped = true;
    this.encodeStopped = true;
    this.sinks.upstreamAbort();
    this.sinks.downstreamReset();
    this.complete();
  }

  private emitDownstreamHeaders(headers: HeaderPairs, endStream: boolean): void {
    this.downstreamStarted = true;
    this.sinks.downstreamHeaders(headers, endStream);
    if (endStream) this.finishDownstream();
  }
  private emitDownstreamData(chunk: Uint8Array, endStream: boolean): void {
    this.sinks.downstreamData(chunk, endStream);
    if (endStream) this.finishDownstream();
  }
  private emitDownstreamTrailers(trailers: HeaderPairs): void {
    this.sinks.downstreamTrailers(trailers);
    this.finishDownstream();
  }
  private finishDownstream(): void {
    this.downstreamEnded = true;
    this.complete();
  }

  /** Access logs, then filter destruction, as Envoy's doDeferredStreamDestroy. */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    const view = {
      requestHeaders: this.requestHeaders,
      responseHeaders: this.responseHeaders,
      responseTrailers: this.responseTrailers,
    };
    // Every filter of the chain gets its access-log call, also one a local reply kept the request
    // from (Envoy's wasm Context::log creates the context first "in cases like sendLocalReply"),
    // so a telemetry filter after an authz filter counts the requests authz denied.
    const decode = this.states.decode;
    for (let i = 0; i < this.stages.length; i++) if (!decode[i]!.bypassed) this.stages[i]!.log(view);
    for (let i = 0; i < this.stages.length; i++) this.stages[i]!.destroy();
  }
}

/**
 * A filter's handle on its stream. A class rather than an object of four closures: one allocation
 * per filter per request instead of five.
 */
class StageCallbacks implements FilterCallbacks {
  constructor(
    private readonly fm: FilterManager,
    private readonly index: number,
  ) {}
  continueDecoding(): void {
    this.fm.continueAt('decode', this.index);
  }
  continueEncoding(): void {
    this.fm.continueAt('encode', this.index);
  }
  sendLocalReply(r: LocalResponse): void {
    this.fm.sendLocalReply(r);
  }
  resetStream(): void {
    this.fm.reset();
  }
}
