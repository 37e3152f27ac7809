import type { BodyRef } from './filter-manager.js';
import { PeerType, type NetworkVerdict, WasmNetworkFilter } from './network-filter.js';
import type { Plugin } from './plugin.js';
import type { PropertyValue } from './properties.js';
import type { TrapInfo } from './errors.js';

/** Where the bytes a connection lets through go: the real sockets in the proxy, arrays in the harness. */
export interface ConnectionSinks {
  /** Bytes (and the client's end of stream) on their way to the upstream. */
  toUpstream(bytes: Uint8Array, endStream: boolean): void;
  /** Bytes (and the upstream's end of stream) on their way to the client. */
  toDownstream(bytes: Uint8Array, endStream: boolean): void;
  /** The connection is closed on both sides (by a filter, or a filter's failure). */
  close(reason: string): void;
}

export interface ConnectionOptions {
  /** connection.*, source.*, destination.*, upstream.* of this connection (nested or dotted keys). */
  properties?: Record<string, PropertyValue>;
}

export interface ConnectionClose {
  /** client: the client closed, or both halves ended; filter: proxy_close_stream; failure: a trap; proxy: the proxy itself (upstream unreachable, shutdown). */
  by: 'client' | 'filter' | 'failure' | 'proxy';
  reason: string;
  trap?: TrapInfo;
}

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * One TCP connection through a chain of network filters, played in Envoy's order
 * (source/common/network/filter_manager_impl.cc): every filter sees the new connection, then
 * downstream bytes pass the read filters first to last, upstream bytes pass the write filters
 * last to first. Envoy keeps one read buffer per connection: a filter that answers
 * StopIteration leaves the bytes in it, the next bytes are appended, and the chain runs again
 * from the first filter over the whole buffer; proxy_continue_stream(Downstream) hands the
 * buffer on to the filters after the one that stopped. Upstream bytes work the same way
 * (Envoy implements no continue for them).
 */
export class Connection {
  readonly filters: WasmNetworkFilter[] = [];
  private downBuf: BodyRef = { bytes: EMPTY };
  private downEnd = false;
  private downEndSent = false;
  private upBuf: BodyRef = { bytes: EMPTY };
  private upEnd = false;
  private upEndSent = false;
  /** How many filters have seen the new connection (a stopped one holds back the rest). */
  private initialized = 0;
  closedBy: ConnectionClose | undefined;

  constructor(
    plugins: Plugin[],
    private readonly sinks: ConnectionSinks,
    opts: ConnectionOptions = {},
  ) {
    const cb = {
      continueReading: (from: WasmNetworkFilter) => this.continueReading(from),
      closeConnection: (_from: WasmNetworkFilter, reason: string) => this.closeLocal({ by: 'filter', reason }),
    };
    for (const p of plugins) {
      // Envoy's createFilter: a failed VM is skipped when it fails open; failing closed, the
      // connection is refused at once (the empty Context closes it in onNewConnection).
      if (p.vm.failed && p.failStrategy === 'FAIL_OPEN') continue;
      this.filters.push(new WasmNetworkFilter(p, cb, opts.properties ?? {}));
    }
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** The connection was accepted: proxy_on_new_connection on each filter, in order. */
  open(): void {
    this.runNewConnection();
  }

  private runNewConnection(): boolean {
    while (this.initialized < this.filters.length && !this.closed) {
      const f = this.filters[this.initialized]!;
      this.initialized++;
      if (f.plugin.vm.failed) {
        this.fail(f, f.plugin.vm.failed);
        return false;
      }
      const v = f.onNewConnection();
      if (this.handleTrap(f, v)) return false;
      if (v === 'stop') return false;
    }
    return !this.closed;
  }

  /** Bytes from the client; `endStream` is its half-close (FIN). */
  downstreamData(bytes: Uint8Array, endStream = false): void {
    if (this.closed || this.downEndSent) return;
    this.downBuf.bytes = concat(this.downBuf.bytes, bytes);
    this.downEnd ||= endStream;
    this.pumpDownstream(0);
  }

  /** Bytes from the upstream; `endStream` is its half-close. */
  upstreamData(bytes: Uint8Array, endStream = false): void {
    if (this.closed || this.upEndSent) return;
    this.upBuf.bytes = concat(this.upBuf.bytes, bytes);
    this.upEnd ||= endStream;
    this.pumpUpstream();
  }

  /** The client closed (or reset) the connection: a remote close for every filter. */
  clientClosed(reason = 'client closed'): void {
    if (this.closed) return;
    this.closedBy = { by: 'client', reason };
    for (const f of this.filters) f.onDownstreamConnectionClose(PeerType.Remote);
  }

  /** Both halves ended: the connection closes as Envoy's tcp_proxy closes it, a remote close. */
  private maybeFinished(): void {
    if (this.downEndSent && this.upEndSent && !this.closed) this.clientClosed('both sides ended');
  }

  private pumpDownstream(from: number): void {
    if (this.initialized < this.filters.length && !this.runNewConnection()) return;
    for (let i = from; i < this.filters.length; i++) {
      if (this.closed) return;
      // Envoy calls onData only when there are bytes or an end of stream to report.
      if (this.downBuf.bytes.length === 0 && !this.downEnd) return;
      const f = this.filters[i]!;
      const v = f.onDownstreamData(this.downBuf, this.downEnd);
      if (this.handleTrap(f, v)) return;
      if (v === 'stop') return;
    }
    if (this.closed) return;
    const bytes = this.downBuf.bytes;
    const end = this.downEnd;
    this.downBuf = { bytes: EMPTY };
    if (bytes.length === 0 && !end) return;
    if (end) this.downEndSent = true;
    this.sinks.toUpstream(bytes, end);
    this.maybeFinished();
  }

  private pumpUpstream(): void {
    for (let i = this.filters.length - 1; i >= 0; i--) {
      if (this.closed) return;
      const f = this.filters[i]!;
      const v = f.onUpstreamData(this.upBuf, this.upEnd);
      if (this.handleTrap(f, v)) return;
      if (v === 'stop') return;
    }
    if (this.closed) return;
    const bytes = this.upBuf.bytes;
    const end = this.upEnd;
    this.upBuf = { bytes: EMPTY };
    if (end) this.upEndSent = true;
    this.sinks.toDownstream(bytes, end);
    this.maybeFinished();
  }

  private continueReading(from: WasmNetworkFilter): void {
    if (this.closed) return;
    const i = this.filters.indexOf(from);
    if (i < 0) return;
    // A filter that stopped in onNewConnection lets the rest see the connection first.
    if (i >= this.initialized - 1 && !this.runNewConnection()) return;
    this.pumpDownstream(i + 1);
  }

  private handleTrap(f: WasmNetworkFilter, v: NetworkVerdict): boolean {
    if (typeof v !== 'object') return false;
    this.fail(f, v.trap);
    return true;
  }

  /** A trap: Envoy's failStream(Downstream) closes the connection (FlushWrite), a local close. */
  private fail(f: WasmNetworkFilter, trap: TrapInfo): void {
    this.closeLocal({ by: 'failure', reason: `plugin "${f.plugin.name}" failed in ${trap.callback}`, trap });
  }

  /** The proxy closes the connection itself (the upstream refused it, shutdown): a local close. */
  closeByProxy(reason: string): void {
    this.closeLocal({ by: 'proxy', reason });
  }

  private closeLocal(why: ConnectionClose): void {
    if (this.closed) return;
    this.closedBy = why;
    for (const f of this.filters) f.onDownstreamConnectionClose(PeerType.Local);
    this.sinks.close(why.reason);
  }
}
