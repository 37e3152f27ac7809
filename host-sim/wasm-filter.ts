import { BufferType, DataStatus, HeadersStatus, MapType, StreamType, WasmResult } from './abi/constants.js';
import type { HeaderPairs } from './abi/memory.js';
import type { LocalResponse, PropertyDeclaration, ProxyContext } from './context.js';
import { bodySize } from './body-buffer.js';
import type { BodyRef, DataVerdict, FilterCallbacks, FilterStage, HeadersVerdict, Verdict } from './filter-manager.js';
import type { Plugin } from './plugin.js';
import { encodeProperty, propertyBytes, type PropertyValue } from './properties.js';
import { streamAttribute, type StreamInfo } from './stream-properties.js';
import { ContextFilterState } from './filter-state.js';

/**
 * One plugin's stream context for one HTTP request: the proxy_on_request_* / proxy_on_response_*
 * callbacks, and the maps and buffers host functions see while they run. Which map exists when
 * follows Envoy's context.cc: a map is held while the filter processes it (or holds it stopped).
 */
export class WasmHttpFilter implements FilterStage, ProxyContext {
  readonly kind = 'stream';
  readonly id: number;
  readonly name: string;
  private created = false;
  private cb!: FilterCallbacks;
  private reqHeaders: HeaderPairs | undefined;
  private reqTrailers: HeaderPairs | undefined;
  private respHeaders: HeaderPairs | undefined;
  private respTrailers: HeaderPairs | undefined;
  private reqBody: BodyRef | undefined;
  private respBody: BodyRef | undefined;
  private accessLog:
    | { requestHeaders?: HeaderPairs; responseHeaders?: HeaderPairs; responseTrailers?: HeaderPairs }
    | undefined;
  /** Created on the first proxy_set_property: most streams never set one. */
  /** Filter state, made on first use (most requests set none). */
  private state: ContextFilterState | undefined;
  readonly info: StreamInfo;
  private destroyed = false;

  constructor(
    readonly plugin: Plugin,
    /** Per-request properties, or a function that builds them on the first property read. */
    private requestProperties?: Record<string, PropertyValue> | (() => Record<string, PropertyValue>),
  ) {
    this.id = plugin.vm.newContextId();
    this.name = plugin.name;
    this.info = {
      requestBodyBytes: 0,
      responseBodyBytes: 0,
      startTimeMs: plugin.host.clock.nowMs,
      nowMs: plugin.host.clock.nowMs,
    };
  }

  get failOpen(): boolean {
    return this.plugin.failStrategy === 'FAIL_OPEN';
  }

  bind(cb: FilterCallbacks): this {
    this.cb = cb;
    return this;
  }

  private get vm() {
    return this.plugin.vm;
  }

  private ensureCreated(): void {
    if (this.created) return;
    this.created = true;
    this.vm.contexts.set(this.id, this);
    this.plugin.streams.add(this);
    this.vm.call(this, 'proxy_on_context_create', [this.id, this.plugin.id]);
  }

  /** The VM failed while answering this stream's callout: FAIL_OPEN lets it go on, else Envoy's 503. */
  vmFailed(): void {
    if (this.destroyed) return;
    if (this.failOpen) {
      this.cb.continueDecoding();
      this.cb.continueEncoding();
    } else
      this.cb.sendLocalReply({
        status: 503,
        body: new Uint8Array(0),
        headers: [],
        grpcStatus: 14,
        details: 'wasm_fail_stream',
      });
  }

  private trapOr<T>(value: T): Verdict<T> {
    return this.vm.failed ? { trap: this.vm.failed } : value;
  }

  private headersVerdict(r: number | undefined): HeadersVerdict {
    // Envoy turns StopIteration into StopAllIterationAndWatermark: body and trailers wait too.
    return r === undefined || r === HeadersStatus.Continue || r === HeadersStatus.ContinueAndEndStream
      ? 'continue'
      : 'stop';
  }

  private dataVerdict(r: number | undefined): DataVerdict {
    if (r === undefined || r === DataStatus.Continue) return 'continue';
    if (r === DataStatus.StopIterationNoBuffer) return 'nobuffer';
    return 'buffer';
  }

  decodeHeaders(headers: HeaderPairs, endStream: boolean): Verdict<HeadersVerdict> {
    this.ensureCreated();
    this.info.requestHeaders = headers;
    this.reqHeaders = headers;
    this.tick();
    const r = this.vm.call(this, 'proxy_on_request_headers', [this.id, headers.length, endStream ? 1 : 0]);
    const v = this.headersVerdict(r);
    if (v === 'continue') this.reqHeaders = undefined;
    return this.trapOr(v);
  }

  decodeData(body: BodyRef, endStream: boolean): Verdict<DataVerdict> {
    this.reqBody = body;
    const size = bodySize(body);
    this.info.requestBodyBytes = Math.max(this.info.requestBodyBytes, size);
    this.tick();
    const r = this.vm.call(this, 'proxy_on_request_body', [this.id, size, endStream ? 1 : 0]);
    const v = this.dataVerdict(r);
    if (v === 'continue') this.reqBody = undefined;
    return this.trapOr(v);
  }

  decodeTrailers(trailers: HeaderPairs): Verdict<HeadersVerdict> {
    this.reqTrailers = trailers;
    this.tick();
    const r = this.vm.call(this, 'proxy_on_request_trailers', [this.id, trailers.length]);
    const v: HeadersVerdict = r === undefined || r === 0 ? 'continue' : 'stop';
    if (v === 'continue') this.reqTrailers = undefined;
    return this.trapOr(v);
  }

  encodeHeaders(headers: HeaderPairs, endStream: boolean): Verdict<HeadersVerdict> {
    this.ensureCreated();
    this.info.responseHeaders = headers;
    this.respHeaders = headers;
    this.tick();
    const r = this.vm.call(this, 'proxy_on_response_headers', [this.id, headers.length, endStream ? 1 : 0]);
    const v = this.headersVerdict(r);
    if (v === 'continue') this.respHeaders = undefined;
    return this.trapOr(v);
  }

  encodeData(body: BodyRef, endStream: boolean): Verdict<DataVerdict> {
    this.respBody = body;
    const size = bodySize(body);
    this.info.responseBodyBytes = Math.max(this.info.responseBodyBytes, size);
    this.tick();
    const r = this.vm.call(this, 'proxy_on_response_body', [this.id, size, endStream ? 1 : 0]);
    const v = this.dataVerdict(r);
    if (v === 'continue') this.respBody = undefined;
    return this.trapOr(v);
  }

  encodeTrailers(trailers: HeaderPairs): Verdict<HeadersVerdict> {
    this.respTrailers = trailers;
    this.info.responseTrailers = trailers;
    this.tick();
    const r = this.vm.call(this, 'proxy_on_response_trailers', [this.id, trailers.length]);
    const v: HeadersVerdict = r === undefined || r === 0 ? 'continue' : 'stop';
    if (v === 'continue') this.respTrailers = undefined;
    return this.trapOr(v);
  }

  log(view: { requestHeaders?: HeaderPairs; responseHeaders?: HeaderPairs; responseTrailers?: HeaderPairs }): void {
    this.ensureCreated();
    this.accessLog = view;
    // A filter a local reply kept the request from still reads its attributes (request.method, ...) at log time.
    this.info.requestHeaders ??= view.requestHeaders;
    this.info.responseHeaders = view.responseHeaders ?? this.info.responseHeaders;
    this.tick();
    this.vm.call(this, 'proxy_on_log', [this.id]);
    this.accessLog = undefined;
  }

  destroy(): void {
    if (this.destroyed || !this.created) return;
    this.destroyed = true;
    this.vm.call(this, 'proxy_on_done', [this.id]);
    this.vm.call(this, 'proxy_on_delete', [this.id]);
    this.vm.contexts.delete(this.id);
    this.plugin.streams.delete(this);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  private tick(): void {
    this.info.nowMs = this.plugin.host.clock.nowMs;
  }

  // --- ProxyContext ---------------------------------------------------------------------
  getMap(type: MapType): HeaderPairs | undefined {
    const log = this.accessLog;
    switch (type) {
      case MapType.HttpRequestHeaders:
        return log?.requestHeaders ?? this.reqHeaders;
      case MapType.HttpRequestTrailers:
        return this.reqTrailers;
      case MapType.HttpResponseHeaders:
        return log?.responseHeaders ?? this.respHeaders;
      case MapType.HttpResponseTrailers:
        return log?.responseTrailers ?? this.respTrailers;
      // An http call's response hangs off the root context that owns the call (Envoy's
      // rootContext()->http_call_response_), readable whichever context is effective.
      case MapType.HttpCallResponseHeaders:
        return this.plugin.httpCallResponse?.headers;
      case MapType.HttpCallResponseTrailers:
        return this.plugin.httpCallResponse?.trailers;
      default:
        // gRPC answers are the root context's, read from any context (Envoy: rootContext()->...).
        return this.plugin.grpc.getMap(type);
    }
  }

  getBuffer(type: BufferType): Uint8Array | undefined {
    switch (type) {
      case BufferType.HttpRequestBody:
        return this.reqBody?.bytes;
      case BufferType.HttpResponseBody:
        return this.respBody?.bytes;
      case BufferType.HttpCallResponseBody:
        return this.plugin.httpCallResponse?.body;
      case BufferType.VmConfiguration:
        return this.vm.vmConfig;
      default:
        return this.plugin.grpc.getBuffer(type);
    }
  }

  setBuffer(type: BufferType, start: number, length: number, data: Uint8Array): WasmResult {
    const ref =
      type === BufferType.HttpRequestBody
        ? this.reqBody
        : type === BufferType.HttpResponseBody
          ? this.respBody
          : undefined;
    if (!ref) return WasmResult.NotFound;
    return replaceInBuffer(ref, start, length, data);
  }

  getProperty(path: string[]): Uint8Array | undefined {
    const state = this.state?.read(path);
    if (state) return state;
    if (typeof this.requestProperties === 'function') this.requestProperties = this.requestProperties();
    const override = propertyBytes(this.requestProperties, path);
    if (override !== undefined) return override;
    const attr = streamAttribute(this.info, path);
    if (attr !== undefined) return encodeProperty(attr);
    return this.plugin.getProperty(path);
  }

  setProperty(path: string, value: Uint8Array): WasmResult {
    return (this.state ??= new ContextFilterState()).write(path, value, this.plugin.declaredProperty(path));
  }

  routeCacheClears = 0;

  declareProperty(decl: PropertyDeclaration): WasmResult {
    return (this.state ??= new ContextFilterState()).declare(decl);
  }

  setEnvoyFilterState(key: string, value: Uint8Array): WasmResult {
    return (this.state ??= new ContextFilterState()).setEnvoy(key, value);
  }

  clearRouteCache(): void {
    this.routeCacheClears++;
  }

  sendLocalResponse(response: LocalResponse): WasmResult {
    this.info.responseCodeDetails = response.details || undefined;
    // Envoy defers the reply until the VM call returns.
    this.vm.defer(() => this.cb.sendLocalReply(response));
    return WasmResult.Ok;
  }

  continueStream(type: StreamType): WasmResult {
    if (type === StreamType.HttpRequest) {
      this.vm.defer(() => this.cb.continueDecoding());
      this.reqHeaders = undefined;
      this.reqTrailers = undefined;
      return WasmResult.Ok;
    }
    if (type === StreamType.HttpResponse) {
      this.vm.defer(() => this.cb.continueEncoding());
      this.respHeaders = undefined;
      this.respTrailers = undefined;
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }

  closeStream(type: StreamType): WasmResult {
    if (type !== StreamType.HttpRequest && type !== StreamType.HttpResponse) return WasmResult.BadArgument;
    this.vm.defer(() => this.cb.resetStream());
    return WasmResult.Ok;
  }
}

/**
 * Envoy's Buffer::copyFrom: start 0 drains `length` bytes and prepends the data (replace or
 * prepend); a start at or past the end appends; anything else is BadArgument.
 */
export function replaceInBuffer(ref: BodyRef, start: number, length: number, data: Uint8Array): WasmResult {
  const cur = ref.bytes;
  if (start === 0) {
    const rest = cur.subarray(Math.min(length, cur.length));
    const out = new Uint8Array(data.length + rest.length);
    out.set(data, 0);
    out.set(rest, data.length);
    ref.bytes = out;
    return WasmResult.Ok;
  }
  if (start >= cur.length) {
    const out = new Uint8Array(cur.length + data.length);
    out.set(cur, 0);
    out.set(data, cur.length);
    ref.bytes = out;
    return WasmResult.Ok;
  }
  return WasmResult.BadArgument;
}
