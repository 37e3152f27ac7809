// Handles for gRPC callouts. Envoy makes every callout for the root context and calls back on
// it; the dispatcher (exports.ts) routes each callback to the context that made the call, by id.
// Calls have odd ids and end in one callback (onGrpcReceive on success, onGrpcClose on failure);
// streams have even ids and report metadata, messages, trailers, then close.
import * as host from "./hostcalls";
import { IdTable } from "./id_table";
import { Status } from "./types";

/** The BaseContext that made each gRPC call or stream, by id (the dispatcher routes by it). */
export const pendingGrpcCalls = new IdTable();

/** A unary call in flight. */
export class GrpcCall {
  constructor(public readonly id: u32) {}
  /** No callback follows. */
  cancel(): Status { pendingGrpcCalls.delete(this.id); return host.grpcCancel(this.id); }
}

/** A stream in flight: send messages, half-close, or cancel. */
export class GrpcStream {
  constructor(public readonly id: u32) {}
  /** Sends one message; `endStream` half-closes after it. */
  send(message: ArrayBuffer, endStream: bool = false): Status { return host.grpcSend(this.id, message, endStream); }
  /** Half-closes: the service's answers and onGrpcClose still arrive. */
  close(): Status { return host.grpcClose(this.id); }
  /** Resets the stream: no callback follows. */
  cancel(): Status { pendingGrpcCalls.delete(this.id); return host.grpcCancel(this.id); }
}
