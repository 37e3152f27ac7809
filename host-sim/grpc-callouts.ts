import { BufferType, MapType, WasmResult } from './abi/constants.js';
import type { HeaderPairs } from './abi/memory.js';
import type { GrpcCallouts as GrpcCalloutsApi, GrpcStart, ProxyContext } from './context.js';
import { parseGrpcService } from './grpc-service.js';
import { type GrpcCallHandle, type GrpcCluster, GrpcStatus } from './grpc-upstream.js';

/** What the callouts need of the plugin (root context) they belong to. */
export interface GrpcOwner extends ProxyContext {
  /** proxy_get_status reads the root's status (set while proxy_on_grpc_close runs). */
  status: { code: number; message: string };
  readonly vm: {
    call(ctx: ProxyContext | undefined, name: string, args: number[]): number | undefined;
    readonly failed: unknown;
  };
  readonly host: {
    hasCluster(name: string): boolean;
    grpcCluster(name: string): GrpcCluster | undefined;
    post(fn: () => void): void;
    readonly captureLogs: boolean;
  };
}

/** One callout, for the harness's assertions. */
export interface GrpcCallRecord {
  token: number;
  kind: 'unary' | 'stream';
  cluster: string;
  service: string;
  method: string;
  initialMetadata: HeaderPairs;
  timeoutMs: number;
  /** Messages the filter sent, as UTF-8 (lossy for binary protos; `sentBytes` has the bytes). */
  sent: string[];
  sentBytes: Uint8Array[];
  /** How it ended: a status, or cancelled by the filter. */
  outcome?: { status: number; message: string } | 'cancelled';
}

interface Pending {
  record: GrpcCallRecord;
  handle: GrpcCallHandle;
  /** A unary call's answer, delivered at close as Envoy's onSuccess/onFailure. */
  unaryMessage?: Uint8Array;
}

/** Per VM, as Envoy's Wasm::nextGrpcCallId / nextGrpcStreamId: calls odd, streams even. */
const nextTokens = new WeakMap<object, number>();

function nextToken(vm: object, stream: boolean): number {
  let t = nextTokens.get(vm) ?? 1;
  if ((t % 2 === 0) !== stream) t++;
  nextTokens.set(vm, t + 1);
  return t;
}

const isStreamToken = (token: number) => token % 2 === 0;

/**
 * A root context's gRPC callouts, as Envoy's Context (source/extensions/common/wasm/context.cc,
 * grpcCall/grpcStream/grpcSend/grpcClose/grpcCancel and the client handlers): every call belongs
 * to the root context (proxy-wasm-cpp-host's exports.cc uses contextOrEffectiveContext()->
 * root_context()), and every callback runs on it, after the current VM call returns.
 *
 * A unary call ends in exactly one callback: proxy_on_grpc_receive on success (Envoy's
 * onSuccess), proxy_on_grpc_close with the status on failure. A stream reports initial
 * metadata, each message, trailing metadata and close, in that order.
 */
export class GrpcCallouts implements GrpcCalloutsApi {
  private pending = new Map<number, Pending>();
  readonly records: GrpcCallRecord[] = [];
  /** Set while a gRPC callback runs: what the GrpcReceive* maps and buffer read. */
  private initialMetadata: HeaderPairs | undefined;
  private trailingMetadata: HeaderPairs | undefined;
  private receiveBuffer: Uint8Array | undefined;

  constructor(private readonly root: GrpcOwner) {}

  start(req: GrpcStart): { result: WasmResult; token?: number } {
    const parsed = parseGrpcService(req.service);
    let cluster: string;
    const metadata: HeaderPairs = [];
    let timeoutMs = req.timeoutMs;
    if (parsed) {
      // A GrpcService names its cluster; Envoy skips the cluster check here and its async
      // client then refuses a stream to a cluster it does not have (InternalFailure).
      cluster = parsed.cluster ?? parsed.targetUri ?? '';
      if (!cluster) return { result: WasmResult.BadArgument };
      metadata.push(...parsed.initialMetadata);
      if (req.kind === 'unary' && timeoutMs === 0 && parsed.timeoutMs) timeoutMs = parsed.timeoutMs;
      if (!this.root.host.grpcCluster(cluster)) return { result: WasmResult.InternalFailure };
    } else {
      cluster = Buffer.from(req.service).toString('utf8');
      // Envoy answers ParseFailure (not BadArgument) for a name that is neither a proto nor a cluster.
      if (!this.root.host.hasCluster(cluster) && !this.root.host.grpcCluster(cluster))
        return { result: WasmResult.ParseFailure };
    }
    const target = this.root.host.grpcCluster(cluster);
    if (!target) return { result: WasmResult.InternalFailure };
    metadata.push(...req.initialMetadata);
    const token = nextToken(this.root.vm, req.kind === 'stream');
    const record: GrpcCallRecord = {
      token,
      kind: req.kind,
      cluster,
      service: req.serviceName,
      method: req.method,
      initialMetadata: metadata,
      timeoutMs,
      sent: [],
      sentBytes: [],
    };
    if (this.root.host.captureLogs) this.records.push(record);
    const post = (fn: () => void) =>
      this.root.host.post(() => {
        if (this.pending.has(token)) fn();
      });
    const p: Pending = {
      record,
      handle: undefined as unknown as GrpcCallHandle,
    };
    this.pending.set(token, p);
    p.handle = target(
      { cluster, service: req.serviceName, method: req.method, initialMetadata: metadata, timeoutMs, kind: req.kind },
      {
        initialMetadata: (md) => {
          if (req.kind === 'stream') post(() => this.deliverMetadata(token, md, 'initial'));
        },
        message: (bytes) => {
          if (req.kind === 'stream') post(() => this.deliverMessage(token, bytes));
          else p.unaryMessage ??= bytes;
        },
        trailingMetadata: (md) => {
          if (req.kind === 'stream') post(() => this.deliverMetadata(token, md, 'trailing'));
        },
        close: (status, message) =>
          post(() => {
            if (req.kind === 'unary' && status === GrpcStatus.Ok) {
              if (p.unaryMessage) return this.deliverUnary(token, p.unaryMessage);
              return this.deliverClose(token, GrpcStatus.Internal, 'the service answered OK without a message');
            }
            this.deliverClose(token, status, message);
          }),
      },
    );
    if (req.kind === 'unary') this.sendTo(p, req.message ?? new Uint8Array(0), true);
    return { result: WasmResult.Ok, token };
  }

  private sendTo(p: Pending, message: Uint8Array, endStream: boolean): void {
    p.record.sentBytes.push(message);
    p.record.sent.push(Buffer.from(message).toString('utf8'));
    p.handle.send(message, endStream);
  }

  /** Context::grpcSend: streams only (BadArgument for a call token), NotFound once gone. */
  send(token: number, message: Uint8Array, endStream: boolean): WasmResult {
    if (!isStreamToken(token)) return WasmResult.BadArgument;
    const p = this.pending.get(token);
    if (!p) return WasmResult.NotFound;
    this.sendTo(p, message, endStream);
    return WasmResult.Ok;
  }

  /** Context::grpcClose: a stream half-closes (answers still arrive); a call is cancelled. */
  close(token: number): WasmResult {
    const p = this.pending.get(token);
    if (!p) return WasmResult.NotFound;
    if (isStreamToken(token)) {
      p.handle.closeSend();
      return WasmResult.Ok;
    }
    return this.cancel(token);
  }

  /** Context::grpcCancel: no callback follows. */
  cancel(token: number): WasmResult {
    const p = this.pending.get(token);
    if (!p) return WasmResult.NotFound;
    this.pending.delete(token);
    p.record.outcome = 'cancelled';
    p.handle.cancel();
    return WasmResult.Ok;
  }

  /** The root context goes away: Envoy's ~Context cancels calls and resets streams. */
  cancelAll(): void {
    for (const token of [...this.pending.keys()]) this.cancel(token);
  }

  get outstanding(): number {
    return this.pending.size;
  }

  private deliverUnary(token: number, message: Uint8Array): void {
    const p = this.pending.get(token)!;
    this.pending.delete(token);
    p.record.outcome = { status: GrpcStatus.Ok, message: '' };
    this.deliverMessage(token, message);
  }

  private deliverMessage(token: number, message: Uint8Array): void {
    this.receiveBuffer = message;
    this.root.vm.call(this.root, 'proxy_on_grpc_receive', [this.root.id, token, message.length]);
    this.receiveBuffer = undefined;
  }

  private deliverMetadata(token: number, md: HeaderPairs, which: 'initial' | 'trailing'): void {
    if (which === 'initial') this.initialMetadata = md;
    else this.trailingMetadata = md;
    this.root.vm.call(
      this.root,
      which === 'initial' ? 'proxy_on_grpc_receive_initial_metadata' : 'proxy_on_grpc_receive_trailing_metadata',
      [this.root.id, token, md.length],
    );
    this.initialMetadata = undefined;
    this.trailingMetadata = undefined;
  }

  private deliverClose(token: number, status: number, message: string): void {
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    p.record.outcome = { status, message };
    // Envoy's onGrpcCloseWrapper: proxy_get_status reads the status and its message meanwhile.
    this.root.status = { code: status, message };
    this.root.vm.call(this.root, 'proxy_on_grpc_close', [this.root.id, token, status]);
    this.root.status = { code: 0, message: '' };
  }

  getMap(type: MapType): HeaderPairs | undefined {
    if (type === MapType.GrpcReceiveInitialMetadata) return this.initialMetadata;
    if (type === MapType.GrpcReceiveTrailingMetadata) return this.trailingMetadata;
    return undefined;
  }

  getBuffer(type: BufferType): Uint8Array | undefined {
    return type === BufferType.GrpcReceiveBuffer ? this.receiveBuffer : undefined;
  }
}
