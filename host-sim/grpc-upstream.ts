import type { HeaderPairs } from './abi/memory.js';
import { toPairs } from './http-upstream.js';

/** gRPC status codes the host itself produces (grpc/include/grpc/status.h). */
export const GrpcStatus = {
  Ok: 0,
  Cancelled: 1,
  Unknown: 2,
  DeadlineExceeded: 4,
  NotFound: 5,
  PermissionDenied: 7,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

/** One callout as the remote side sees it. */
export interface GrpcCallView {
  cluster: string;
  service: string;
  method: string;
  /** Initial metadata the filter passed (plus the GrpcService's), keys lower-cased. */
  initialMetadata: HeaderPairs;
  /** 0: none. */
  timeoutMs: number;
  kind: 'unary' | 'stream';
}

/** What the remote side tells the filter, in gRPC's order; close ends the call. */
export interface GrpcPeerEvents {
  initialMetadata(md: HeaderPairs): void;
  message(bytes: Uint8Array): void;
  trailingMetadata(md: HeaderPairs): void;
  close(status: number, message: string): void;
}

/** The filter's side of one call: its messages, its half-close, its cancel. */
export interface GrpcCallHandle {
  send(message: Uint8Array, endStream: boolean): void;
  /** The filter half-closed (proxy_grpc_close on a stream). */
  closeSend(): void;
  /** The filter cancelled, or its context went away: no more events are wanted. */
  cancel(): void;
}

/** A gRPC cluster: opens a call and reports its events. Scripted in tests, real gRPC in the proxy. */
export type GrpcCluster = (call: GrpcCallView, peer: GrpcPeerEvents) => GrpcCallHandle;

type Bytes = string | Uint8Array;
type Meta = Record<string, string> | HeaderPairs;

/** A scripted answer: what the service sends back, or a failure. */
export type GrpcReply =
  | {
      initialMetadata?: Meta;
      messages?: Bytes[];
      /** gRPC status, default 0 (OK). */
      status?: number;
      statusMessage?: string;
      trailers?: Meta;
      /** Milliseconds before the answer; one at or beyond the call's timeout answers DeadlineExceeded. */
      delayMs?: number;
    }
  /** Envoy's async client gives up: DeadlineExceeded. */
  | 'timeout'
  /** The service cannot be reached: Unavailable. */
  | 'unavailable';

export interface GrpcRequest extends GrpcCallView {
  /** Messages the filter sent (a unary call's one message), in order. */
  messages: Uint8Array[];
}

/** A scripted gRPC service for a cluster: answers once the filter finished sending. */
export interface GrpcScript {
  reply(req: GrpcRequest): GrpcReply | Promise<GrpcReply>;
  /** Bidirectional streams: messages sent back at once for each message the filter sends. */
  onMessage?(message: Uint8Array, req: GrpcRequest): Bytes[] | undefined;
}

const bytes = (b: Bytes) => (typeof b === 'string' ? new Uint8Array(Buffer.from(b, 'utf8')) : b);

/**
 * Turns a script into a cluster. A unary call is answered at once (its message is all there
 * is); a stream when the filter half-closes. `track` lets the host wait for delayed answers.
 */
export function scriptedGrpc(
  script: GrpcScript | GrpcScript['reply'],
  track: (p: Promise<unknown>) => void,
): GrpcCluster {
  const s: GrpcScript = typeof script === 'function' ? { reply: script } : script;
  return (call, peer) => {
    const req: GrpcRequest = { ...call, messages: [] };
    let cancelled = false;
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      const deliver = (r: GrpcReply) => {
        if (cancelled) return;
        if (r === 'timeout') return peer.close(GrpcStatus.DeadlineExceeded, 'upstream request timeout');
        if (r === 'unavailable') return peer.close(GrpcStatus.Unavailable, 'upstream connect error');
        if (call.timeoutMs > 0 && (r.delayMs ?? 0) >= call.timeoutMs)
          return peer.close(GrpcStatus.DeadlineExceeded, 'upstream request timeout');
        peer.initialMetadata(toPairs(r.initialMetadata));
        for (const m of r.messages ?? []) peer.message(bytes(m));
        peer.trailingMetadata(toPairs(r.trailers));
        peer.close(r.status ?? GrpcStatus.Ok, r.statusMessage ?? '');
      };
      let result: GrpcReply | Promise<GrpcReply>;
      try {
        result = s.reply(req);
      } catch (err) {
        result = { status: GrpcStatus.Unknown, statusMessage: `scripted service threw: ${(err as Error).message}` };
      }
      const delay = typeof result === 'object' && !(result instanceof Promise) ? (result.delayMs ?? 0) : 0;
      const timedOut = call.timeoutMs > 0 && delay >= call.timeoutMs;
      if (result instanceof Promise || (delay > 0 && !timedOut)) {
        const p = Promise.resolve(result).then(
          (r) =>
            new Promise<GrpcReply>((res) => setTimeout(() => res(r), typeof r === 'object' ? (r.delayMs ?? 0) : 0)),
        );
        track(
          p.then(deliver, (err: Error) =>
            deliver({ status: GrpcStatus.Unknown, statusMessage: `scripted service failed: ${err.message}` }),
          ),
        );
      } else deliver(result as GrpcReply);
    };
    return {
      send(message, endStream) {
        req.messages.push(message);
        const back = s.onMessage?.(message, req);
        if (back && !cancelled) for (const m of back) peer.message(bytes(m));
        if (call.kind === 'unary' || endStream) answer();
      },
      closeSend: answer,
      cancel() {
        cancelled = true;
      },
    };
  };
}
