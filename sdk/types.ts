// Enumerations of proxy-wasm ABI 0.2.1 (values from the spec's "Types" section).
import { formatInt } from "./decimal";

export enum LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5 }

/** proxy_status_t: what every host function returns. */
export enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  InternalFailure = 10,
  Unimplemented = 12,
}

/** proxy_action_t: what a stream callback answers. */
export enum Action { Continue = 0, Pause = 1 }

export enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcCallMessage = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  ForeignFunctionArguments = 8,
}

export enum MapType {
  HttpRequestHeaders = 0,
  HttpRequestTrailers = 1,
  HttpResponseHeaders = 2,
  HttpResponseTrailers = 3,
  GrpcCallInitialMetadata = 4,
  GrpcCallTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

export enum StreamType { HttpRequest = 0, HttpResponse = 1, Downstream = 2, Upstream = 3 }

export enum PeerType { Unknown = 0, Local = 1, Remote = 2 }

export enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }

// Every name in one string, the word at a status's position (a "-" where the ABI has no status):
// ten separate string constants cost twice the data and a jump table.
const STATUS_NAMES = "Ok NotFound BadArgument SerializationFailure ParseFailure - InvalidMemoryAccess Empty CasMismatch - InternalFailure - Unimplemented";

/** Names for Status values, used in error messages. */
export function statusName(status: u32): string {
  let word: u32 = 0;
  let start = 0;
  for (let end = 0; end <= STATUS_NAMES.length; end++) {
    if (STATUS_NAMES.charCodeAt(end) > 0x20) continue; // -1 past the last word
    if (word++ == status) {
      if (end - start > 1) return STATUS_NAMES.substring(start, end);
      break;
    }
    start = end + 1;
  }
  return "Status(" + formatInt(status) + ")";
}
