import { Connection, type ConnectionClose } from '../connection.js';
import type { Host } from '../host.js';
import type { Plugin } from '../plugin.js';
import { nestProperties } from '../properties.js';

export interface ConnectionSpec {
  /** Overrides of source.*, destination.*, upstream.*, connection.* for this connection. */
  properties?: Record<string, unknown>;
}

/**
 * A TCP connection through the filter, seen from both ends: the client (downstream) and the
 * upstream server. Each send is one chunk, as one read from a socket; every method resolves once
 * the filter's callbacks and the work they started (calls, queue notifications) have run.
 */
export interface TcpConnection {
  /** The client sends a chunk; `end` half-closes its side after it (FIN). */
  sendDownstream(data: string | Uint8Array, opts?: { end?: boolean }): Promise<void>;
  /** The upstream sends a chunk; `end` half-closes its side after it. */
  sendUpstream(data: string | Uint8Array, opts?: { end?: boolean }): Promise<void>;
  /** The client half-closes (FIN without data). */
  halfCloseDownstream(): Promise<void>;
  /** The upstream half-closes. */
  halfCloseUpstream(): Promise<void>;
  /** The client closes the connection outright (a remote close for the filter). */
  close(): Promise<void>;
  /** Everything the upstream received so far, as UTF-8. */
  upstreamReceived(): string;
  /** Everything the client received so far, as UTF-8. */
  downstreamReceived(): string;
  readonly upstreamBytes: Uint8Array;
  readonly downstreamBytes: Uint8Array;
  /** The upstream saw the client's end of stream. */
  readonly upstreamEnded: boolean;
  /** The client saw the upstream's end of stream. */
  readonly downstreamEnded: boolean;
  /** How the connection closed, once it has. */
  readonly closed: ConnectionClose | undefined;
  /** The filter's context id for this connection (the first filter's). */
  readonly contextId: number;
}

let nextConnectionId = 1;

const bytesOf = (d: string | Uint8Array) => (typeof d === 'string' ? new Uint8Array(Buffer.from(d, 'utf8')) : d);

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Opens a connection through `plugins` on `host` (harness.connection()). */
export async function openConnection(host: Host, plugins: Plugin[], spec: ConnectionSpec = {}): Promise<TcpConnection> {
  let up: Uint8Array = new Uint8Array(0);
  let down: Uint8Array = new Uint8Array(0);
  let upEnded = false;
  let downEnded = false;
  const id = nextConnectionId++;
  const conn = new Connection(
    plugins,
    {
      toUpstream(bytes, end) {
        up = append(up, bytes);
        upEnded ||= end;
      },
      toDownstream(bytes, end) {
        down = append(down, bytes);
        downEnded ||= end;
      },
      close() {},
    },
    { properties: nestProperties({ 'connection.id': id, ...(spec.properties ?? {}) }) },
  );
  conn.open();
  await host.settle();
  const step = async (fn: () => void) => {
    fn();
    await host.settle();
  };
  return {
    sendDownstream: (d, o) => step(() => conn.downstreamData(bytesOf(d), o?.end ?? false)),
    sendUpstream: (d, o) => step(() => conn.upstreamData(bytesOf(d), o?.end ?? false)),
    halfCloseDownstream: () => step(() => conn.downstreamData(new Uint8Array(0), true)),
    halfCloseUpstream: () => step(() => conn.upstreamData(new Uint8Array(0), true)),
    close: () => step(() => conn.clientClosed()),
    upstreamReceived: () => Buffer.from(up).toString('utf8'),
    downstreamReceived: () => Buffer.from(down).toString('utf8'),
    get upstreamBytes() {
      return up;
    },
    get downstreamBytes() {
      return down;
    },
    get upstreamEnded() {
      return upEnded;
    },
    get downstreamEnded() {
      return downEnded;
    },
    get closed() {
      return conn.closedBy;
    },
    contextId: conn.filters[0]?.id ?? 0,
  };
}
