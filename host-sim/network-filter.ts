import { BufferType, MapType, StreamType, WasmResult } from './abi/constants.js';
import type { HeaderPairs } from './abi/memory.js';
import type { PropertyDeclaration, ProxyContext } from './context.js';
import type { BodyRef } from './filter-manager.js';
import type { Plugin } from './plugin.js';
import { propertyBytes, type PropertyValue } from './properties.js';
import { replaceInBuffer } from './wasm-filter.js';
import { ContextFilterState } from './filter-state.js';

/** proxy-wasm's PeerType, the argument of proxy_on_*_connection_close. */
export enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}

/** What the connection driver does when a filter asks (proxy_continue_stream, proxy_close_stream). */
export interface NetworkFilterCallbacks {
  /** Envoy's continueReading(): the downstream data held by this filter goes on to the next one. */
  continueReading(from: WasmNetworkFilter): void;
  /** Envoy's connection().close(FlushWrite): the connection ends, a local close. */
  closeConnection(from: WasmNetworkFilter, reason: string): void;
}

export type NetworkVerdict = 'continue' | 'stop' | { trap: NonNullable<Plugin['failed']> };

/**
 * One plugin's context for one TCP connection: Envoy's network wasm filter
 * (source/extensions/filters/network/wasm/wasm_filter.h) over the shared Context of
 * source/extensions/common/wasm/context.cc — onNewConnection, onData (downstream bytes),
 * onWrite (upstream bytes), onEvent (close), and onCloseTCP, which runs proxy_on_done,
 * proxy_on_log and proxy_on_delete once the downstream side has closed.
 */
export class WasmNetworkFilter implements ProxyContext {
  readonly kind = 'stream';
  readonly id: number;
  private created = false;
  private downstreamData: BodyRef | undefined;
  private upstreamData: BodyRef | undefined;
  private downstreamClosed = false;
  private upstreamClosed = false;
  private tcpClosed = false;
  /** Filter state, made on first use (most requests set none). */
  private state: ContextFilterState | undefined;

  constructor(
    readonly plugin: Plugin,
    private readonly cb: NetworkFilterCallbacks,
    /** connection.*, source.*, destination.*, upstream.* for this connection. */
    private readonly properties: Record<string, PropertyValue>,
  ) {
    this.id = plugin.vm.newContextId();
  }

  private get vm() {
    return this.plugin.vm;
  }

  get failOpen(): boolean {
    return this.plugin.failStrategy === 'FAIL_OPEN';
  }

  get closed(): boolean {
    return this.tcpClosed;
  }

  private verdict(r: number | undefined): NetworkVerdict {
    // proxy-wasm-cpp-host's CHECK_FAIL: a failed VM lets bytes through when the plugin fails
    // open; failing closed, the connection is closed (failStream(Downstream)).
    if (this.vm.failed) return this.failOpen ? 'continue' : { trap: this.vm.failed };
    // Envoy's convertNetworkFilterStatus: 0 is Continue, anything else StopIteration.
    return r === undefined || r === 0 ? 'continue' : 'stop';
  }

  /** Context::onNewConnection: creates the context in the VM, then proxy_on_new_connection. */
  onNewConnection(): NetworkVerdict {
    this.created = true;
    this.vm.contexts.set(this.id, this);
    this.plugin.streams.add(this);
    this.vm.call(this, 'proxy_on_context_create', [this.id, this.plugin.id]);
    if (this.vm.failed) return this.verdict(undefined);
    return this.verdict(this.vm.call(this, 'proxy_on_new_connection', [this.id]));
  }

  /** Context::onData: the buffer stays readable (and writable) while the filter holds it. */
  onDownstreamData(data: BodyRef, endStream: boolean): NetworkVerdict {
    if (!this.created) return 'continue';
    this.downstreamData = data;
    const v = this.verdict(
      this.vm.call(this, 'proxy_on_downstream_data', [this.id, data.bytes.length, endStream ? 1 : 0]),
    );
    if (v === 'continue') this.downstreamData = undefined;
    return v;
  }

  /**
   * Context::onWrite: bytes from the upstream on their way to the client. An end of stream here
   * is how Envoy learns the upstream closed (it does not watch the upstream connection itself).
   */
  onUpstreamData(data: BodyRef, endStream: boolean): NetworkVerdict {
    if (!this.created) return 'continue';
    this.upstreamData = data;
    const v = this.verdict(
      this.vm.call(this, 'proxy_on_upstream_data', [this.id, data.bytes.length, endStream ? 1 : 0]),
    );
    if (v === 'continue') this.upstreamData = undefined;
    if (endStream && !this.vm.failed) this.onUpstreamConnectionClose(PeerType.Unknown);
    return v;
  }

  /** Context::onUpstreamConnectionClose: the context ends only once the downstream side has too. */
  onUpstreamConnectionClose(peer: PeerType): void {
    if (!this.created || this.upstreamClosed) return;
    this.upstreamClosed = true;
    this.vm.call(this, 'proxy_on_upstream_connection_close', [this.id, peer]);
    if (this.downstreamClosed) this.onCloseTcp();
  }

  /** Context::onEvent(LocalClose | RemoteClose) -> onDownstreamConnectionClose -> onCloseTCP. */
  onDownstreamConnectionClose(peer: PeerType): void {
    if (!this.created || this.downstreamClosed) return;
    this.downstreamClosed = true;
    this.vm.call(this, 'proxy_on_downstream_connection_close', [this.id, peer]);
    this.onCloseTcp();
  }

  /** Context::onCloseTCP: done, log, delete, in that order (unlike HTTP, where log comes first). */
  private onCloseTcp(): void {
    if (this.tcpClosed) return;
    this.tcpClosed = true;
    this.downstreamData = undefined;
    this.upstreamData = undefined;
    this.vm.call(this, 'proxy_on_done', [this.id]);
    this.vm.call(this, 'proxy_on_log', [this.id]);
    this.vm.call(this, 'proxy_on_delete', [this.id]);
    this.vm.contexts.delete(this.id);
    this.plugin.streams.delete(this);
  }

  // --- ProxyContext ---------------------------------------------------------------------
  getMap(type: MapType): HeaderPairs | undefined {
    // Callout answers (http and gRPC) are the root context's, read from any context (Envoy: rootContext()->...).
    if (type === MapType.HttpCallResponseHeaders) return this.plugin.httpCallResponse?.headers;
    if (type === MapType.HttpCallResponseTrailers) return this.plugin.httpCallResponse?.trailers;
    return this.plugin.grpc.getMap(type);
  }

  getBuffer(type: BufferType): Uint8Array | undefined {
    switch (type) {
      case BufferType.DownstreamData:
        return this.downstreamData?.bytes;
      case BufferType.UpstreamData:
        return this.upstreamData?.bytes;
      case BufferType.VmConfiguration:
        return this.vm.vmConfig;
      case BufferType.HttpCallResponseBody:
        return this.plugin.httpCallResponse?.body;
      default:
        return this.plugin.grpc.getBuffer(type);
    }
  }

  setBuffer(type: BufferType, start: number, length: number, data: Uint8Array): WasmResult {
    const ref =
      type === BufferType.DownstreamData
        ? this.downstreamData
        : type === BufferType.UpstreamData
          ? this.upstreamData
          : undefined;
    if (!ref) return WasmResult.NotFound;
    return replaceInBuffer(ref, start, length, data);
  }

  getProperty(path: string[]): Uint8Array | undefined {
    const state = this.state?.read(path);
    if (state) return state;
    const v = propertyBytes(this.properties, path);
    if (v !== undefined) return v;
    return this.plugin.getProperty(path);
  }

  setProperty(path: string, value: Uint8Array): WasmResult {
    return (this.state ??= new ContextFilterState()).write(path, value, this.plugin.declaredProperty(path));
  }

  declareProperty(decl: PropertyDeclaration): WasmResult {
    return (this.state ??= new ContextFilterState()).declare(decl);
  }

  setEnvoyFilterState(key: string, value: Uint8Array): WasmResult {
    return (this.state ??= new ContextFilterState()).setEnvoy(key, value);
  }

  /** A network filter has no route to clear; Envoy's call finds no HTTP decoder callbacks. */
  clearRouteCache(): void {}

  sendLocalResponse(): WasmResult {
    // Envoy's sendLocalResponse does nothing without HTTP decoder callbacks; it still answers Ok.
    return WasmResult.Ok;
  }

  /** Context::continueStream: Downstream resumes reading; Upstream is Unimplemented in Envoy. */
  continueStream(type: StreamType): WasmResult {
    if (type === StreamType.Downstream) {
      this.vm.defer(() => this.cb.continueReading(this));
      return WasmResult.Ok;
    }
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    if (type === StreamType.HttpRequest || type === StreamType.HttpResponse) return WasmResult.Ok;
    return WasmResult.BadArgument;
  }

  /** Context::closeStream: either network side closes the connection (FlushWrite), deferred. */
  closeStream(type: StreamType): WasmResult {
    if (type === StreamType.Downstream) {
      this.vm.defer(() => this.cb.closeConnection(this, 'wasm_downstream_close'));
      return WasmResult.Ok;
    }
    if (type === StreamType.Upstream) {
      this.vm.defer(() => this.cb.closeConnection(this, 'wasm_upstream_close'));
      return WasmResult.Ok;
    }
    if (type === StreamType.HttpRequest || type === StreamType.HttpResponse) return WasmResult.Ok;
    return WasmResult.BadArgument;
  }
}
