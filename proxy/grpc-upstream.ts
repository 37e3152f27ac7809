import * as grpc from '@grpc/grpc-js';
import type { HeaderPairs } from '../host-sim/abi/memory.js';
import type { GrpcCluster } from '../host-sim/grpc-upstream.js';

/** Bytes in, bytes out: the filter encodes its own protobuf messages, so no stubs are needed. */
const raw = (b: Buffer) => b;

function pairsOf(md: grpc.Metadata): HeaderPairs {
  const out: HeaderPairs = [];
  for (const [k, v] of Object.entries(md.getMap())) out.push([k, typeof v === 'string' ? v : v.toString('base64')]);
  return out;
}

/** A cluster's gRPC side, with the connection it keeps open between calls. */
export interface RealGrpcCluster {
  cluster: GrpcCluster;
  close(): void;
}

/**
 * gRPC callouts to a real upstream over HTTP/2 with @grpc/grpc-js, as Envoy's gRPC async client
 * sends them to a cluster: the cluster's address (from --cluster name=http://host:port) is the
 * target, `/<service>/<method>` the path, the call's initial metadata the request metadata and
 * its timeout the deadline. Unary calls and streams both go out as a bidirectional call; a unary
 * one sends its message and half-closes at once, which is what a unary call is on the wire.
 */
export function realGrpcCluster(baseUrl: string): RealGrpcCluster {
  const u = new URL(baseUrl);
  const client = new grpc.Client(`${u.hostname}:${u.port || '80'}`, grpc.credentials.createInsecure());
  const cluster: GrpcCluster = (call, peer) => {
    const md = new grpc.Metadata();
    for (const [k, v] of call.initialMetadata) if (!k.startsWith(':')) md.add(k, v);
    const options: grpc.CallOptions = call.timeoutMs > 0 ? { deadline: Date.now() + call.timeoutMs } : {};
    const stream = client.makeBidiStreamRequest(`/${call.service}/${call.method}`, raw, raw, md, options);
    stream.on('metadata', (m: grpc.Metadata) => peer.initialMetadata(pairsOf(m)));
    stream.on('data', (b: Buffer) => peer.message(new Uint8Array(b)));
    stream.on('status', (s: grpc.StatusObject) => {
      peer.trailingMetadata(pairsOf(s.metadata));
      peer.close(s.code, s.details);
    });
    // Failures arrive as a status too; without a listener an 'error' event would throw.
    stream.on('error', () => {});
    return {
      send(message, endStream) {
        stream.write(Buffer.from(message));
        if (endStream) stream.end();
      },
      closeSend: () => stream.end(),
      cancel: () => stream.cancel(),
    };
  };
  return { cluster, close: () => client.close() };
}
