import protobuf from 'protobufjs';

/**
 * Decodes a DiscoveryRequest after a stream's first one without its node. Envoy repeats the node
 * (id, metadata Struct with labels) in every request unless set_node_on_first_message_only is
 * set (api/envoy/config/core/v3/config_source.proto), yet the server reads it only from the first
 * request of a stream; decoding the Struct into objects on every ACK was most of an ACK's cost.
 * Field numbers from api/envoy/service/discovery/v3/discovery.proto. Returns undefined for a
 * request carrying error_detail (a NACK, rare): the caller decodes those in full.
 */
export interface LightDiscoveryRequest {
  versionInfo?: string;
  resourceNames?: string[];
  typeUrl?: string;
  responseNonce?: string;
}

export function decodeWithoutNode(buf: Uint8Array): LightDiscoveryRequest | undefined {
  const r = protobuf.Reader.create(buf);
  const out: LightDiscoveryRequest = {};
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        out.versionInfo = r.string();
        break;
      case 3:
        (out.resourceNames ??= []).push(r.string());
        break;
      case 4:
        out.typeUrl = r.string();
        break;
      case 5:
        out.responseNonce = r.string();
        break;
      case 6:
        return undefined; // error_detail: a NACK
      default:
        r.skipType(tag & 7); // node (2) and anything newer
    }
  }
  return out;
}
