// Host properties (Envoy attributes). Paths are given dot-separated ("request.path") or as
// segments when a segment itself holds dots (["metadata", "filter_metadata", "envoy.lb"]).
// Encodings follow Envoy: strings raw, integers 8 little-endian bytes, bools 1 byte,
// durations/timestamps int64 nanoseconds, maps as header-map pairs.
import * as host from "./hostcalls";
import { HeaderPair, Headers, deserializeHeaders } from "./headers";
import { Status } from "./types";
import { fromUtf8, utf8 } from "./memory";

export function getPropertyBytes(path: string): ArrayBuffer | null {
  return host.getDottedProperty(path);
}

export function getPropertyString(path: string): string | null {
  const v = host.getDottedProperty(path);
  return v === null ? null : fromUtf8(v);
}

/** Integer properties (and durations/timestamps in ns); `fallback` when absent or malformed. */
export function getPropertyInt(path: string, fallback: i64 = 0): i64 {
  const v = host.getDottedProperty(path);
  if (v === null || v.byteLength != 8) return fallback;
  return load<i64>(changetype<usize>(v));
}

export function getPropertyBool(path: string, fallback: bool = false): bool {
  const v = host.getDottedProperty(path);
  if (v === null || v.byteLength < 1) return fallback;
  return load<u8>(changetype<usize>(v)) != 0;
}

export function getPropertyMap(path: string): Headers {
  const v = host.getDottedProperty(path);
  return v === null ? new Array<HeaderPair>() : deserializeHeaders(v);
}

export function getPropertySegments(segments: Array<string>): ArrayBuffer | null {
  return host.getProperty(segments);
}

export function setPropertyString(path: string, value: string): Status {
  return host.setDottedProperty(path, utf8(value));
}

function str(path: string): string {
  const v = getPropertyString(path);
  return v === null ? "" : v;
}

/** Typed getters for the attributes filters read most; "" / 0 / false when the host has none. */
export class Properties {
  static requestPath(): string { return str("request.path"); }
  static requestUrlPath(): string { return str("request.url_path"); }
  static requestHost(): string { return str("request.host"); }
  static requestMethod(): string { return str("request.method"); }
  static requestScheme(): string { return str("request.scheme"); }
  static requestId(): string { return str("request.id"); }
  static requestProtocol(): string { return str("request.protocol"); }
  static userAgent(): string { return str("request.useragent"); }
  /** Request start, ns since the epoch. */
  static requestTime(): i64 { return getPropertyInt("request.time"); }
  static requestDuration(): i64 { return getPropertyInt("request.duration"); }
  static requestSize(): i64 { return getPropertyInt("request.size"); }
  static responseCode(): i64 { return getPropertyInt("response.code"); }
  static responseCodeDetails(): string { return str("response.code_details"); }
  static responseSize(): i64 { return getPropertyInt("response.size"); }
  static sourceAddress(): string { return str("source.address"); }
  static sourcePort(): i64 { return getPropertyInt("source.port"); }
  static destinationAddress(): string { return str("destination.address"); }
  static destinationPort(): i64 { return getPropertyInt("destination.port"); }
  static connectionMtls(): bool { return getPropertyBool("connection.mtls"); }
  static connectionTlsVersion(): string { return str("connection.tls_version"); }
  static routeName(): string { return str("route_name"); }
  static clusterName(): string { return str("cluster_name"); }
  static pluginName(): string { return str("plugin_name"); }
  static pluginRootId(): string { return str("plugin_root_id"); }
  static pluginVmId(): string { return str("plugin_vm_id"); }
  static nodeId(): string { return str("node.id"); }
}
