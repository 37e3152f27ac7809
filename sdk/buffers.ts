// Typed access to the host's byte buffers (bodies, configurations, call responses).
// Envoy supports only replacing from the start and appending, so those are the operations offered.
import * as host from "./hostcalls";
import { BufferType, Status } from "./types";
import { fromUtf8, utf8 } from "./memory";

// Unmanaged: the nine buffers below live in static memory, so they cost no start-up allocation
// and no garbage-collector visits; a Buffer made with `new` is never freed (make one, not one per request).
@unmanaged
export class Buffer {
  constructor(public readonly type: BufferType) {}

  /** Bytes currently available; 0 when the buffer does not exist in this callback. */
  size(): u32 {
    const n = host.getBufferStatus(this.type);
    return n < 0 ? 0 : <u32>n;
  }

  /** Up to `maxSize` bytes from `start` (all remaining bytes by default). */
  bytes(start: u32 = 0, maxSize: u32 = u32.MAX_VALUE): ArrayBuffer {
    const size = this.size();
    if (start >= size) return new ArrayBuffer(0);
    const len = min(maxSize, size - start);
    const out = host.getBufferBytes(this.type, start, len);
    return out !== null ? out : new ArrayBuffer(0);
  }

  text(start: u32 = 0, maxSize: u32 = u32.MAX_VALUE): string {
    return fromUtf8(this.bytes(start, maxSize));
  }

  replace(value: ArrayBuffer): Status {
    return host.setBufferBytes(this.type, 0, this.size(), value);
  }

  replaceText(value: string): Status {
    return this.replace(utf8(value));
  }

  append(value: ArrayBuffer): Status {
    return host.setBufferBytes(this.type, this.size(), 0, value);
  }

  appendText(value: string): Status {
    return this.append(utf8(value));
  }

  prepend(value: ArrayBuffer): Status {
    return host.setBufferBytes(this.type, 0, 0, value);
  }

  prependText(value: string): Status {
    return this.prepend(utf8(value));
  }
}

export const requestBody = changetype<Buffer>(memory.data<u32>([BufferType.HttpRequestBody]));
export const responseBody = changetype<Buffer>(memory.data<u32>([BufferType.HttpResponseBody]));
export const downstreamData = changetype<Buffer>(memory.data<u32>([BufferType.DownstreamData]));
export const upstreamData = changetype<Buffer>(memory.data<u32>([BufferType.UpstreamData]));
export const httpCallResponseBody = changetype<Buffer>(memory.data<u32>([BufferType.HttpCallResponseBody]));
export const grpcCallMessage = changetype<Buffer>(memory.data<u32>([BufferType.GrpcCallMessage]));
export const vmConfiguration = changetype<Buffer>(memory.data<u32>([BufferType.VmConfiguration]));
export const pluginConfiguration = changetype<Buffer>(memory.data<u32>([BufferType.PluginConfiguration]));
export const foreignFunctionArguments = changetype<Buffer>(memory.data<u32>([BufferType.ForeignFunctionArguments]));
