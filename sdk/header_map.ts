// Typed access to one of the host's header maps. Keys are lower-cased by Envoy on add.
import * as host from "./hostcalls";
import { HeaderPair, Headers } from "./headers";
import { headerPresent, headerValue, headerValues, removeHeaderValue, replaceHeaderValue } from "./header_value";
import { MapType, Status } from "./types";

// Unmanaged: the eight maps below live in static memory, so they cost no start-up allocation and
// no garbage-collector visits; a HeaderMap made with `new` is never freed (make one, not one per request).
@unmanaged
export class HeaderMap {
  constructor(public readonly type: MapType) {}

  /** First value of `name`, or null when absent. */
  get(name: string): string | null {
    return headerValue(this.type, name);
  }

  has(name: string): bool {
    return headerPresent(this.type, name);
  }

  /** Replaces every value of `name` with `value` (adds it when absent). */
  set(name: string, value: string): Status {
    return replaceHeaderValue(this.type, name, value);
  }

  /** Adds one more value for `name`, keeping the existing ones. */
  add(name: string, value: string): Status {
    return host.addHeaderMapValue(this.type, name, value);
  }

  remove(name: string): Status {
    return removeHeaderValue(this.type, name);
  }

  /** Every value of `name` (lower case), in the host's order: a name may repeat. */
  values(name: string): Array<string> {
    return headerValues(this.type, name);
  }

  /** Every pair, in the host's order, repeated names included. */
  all(): Headers {
    return host.getHeaderMapPairs(this.type);
  }

  /** Replaces the whole map. */
  setAll(headers: Headers): Status {
    return host.setHeaderMapPairs(this.type, headers);
  }
}

export const requestHeaders = changetype<HeaderMap>(memory.data<u32>([MapType.HttpRequestHeaders]));
export const requestTrailers = changetype<HeaderMap>(memory.data<u32>([MapType.HttpRequestTrailers]));
export const responseHeaders = changetype<HeaderMap>(memory.data<u32>([MapType.HttpResponseHeaders]));
export const responseTrailers = changetype<HeaderMap>(memory.data<u32>([MapType.HttpResponseTrailers]));
export const httpCallResponseHeaders = changetype<HeaderMap>(memory.data<u32>([MapType.HttpCallResponseHeaders]));
export const httpCallResponseTrailers = changetype<HeaderMap>(memory.data<u32>([MapType.HttpCallResponseTrailers]));
export const grpcInitialMetadata = changetype<HeaderMap>(memory.data<u32>([MapType.GrpcCallInitialMetadata]));
export const grpcTrailingMetadata = changetype<HeaderMap>(memory.data<u32>([MapType.GrpcCallTrailingMetadata]));

/** Shorthand for building header lists: pairs("a", "1", "b", "2"). */
export function pairs(...kv: string[]): Headers {
  const out = new Array<HeaderPair>();
  for (let i = 0; i + 1 < kv.length; i += 2) out.push(new HeaderPair(kv[i], kv[i + 1]));
  return out;
}
