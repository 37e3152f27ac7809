// Outstanding http/gRPC calls: which context made each one and what to call back, so the
// dispatcher can route proxy_on_http_call_response / proxy_on_grpc_* to their origin.
import { BaseContext } from "./context";
import { IdTable } from "./id_table";

/** A call-back for an http call: the context that made the call, the call id, and the counts
 * the host reported (numHeaders 0 means the call failed or timed out). */
export type HttpCallCallback = (origin: BaseContext, callId: u32, numHeaders: u32, bodySize: u32, numTrailers: u32) => void;

export class PendingCall {
  constructor(public origin: BaseContext, public callback: HttpCallCallback | null) {}
}

/** PendingCall by call id. */
export const pendingHttpCalls = new IdTable();
/** The BaseContext that made each gRPC call, by call id. */
export const pendingGrpcCalls = new IdTable();
