// Typed access to the host's byte buffers (bodies, configurations, call responses).
// Envoy supports only replacing from the start and appending, so those are the operations offered.
import * as host from "./hostcalls";
import { BufferType, Status } from "./types";

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
    return String.UTF8.decode(this.bytes(start, maxSize));
  }

  replace(value: ArrayBuffer): Status {
    return host.setBufferBytes(this.type, 0, this.size(), value);
  }

  replaceText(value: string): Status {
    return this.replace(String.UTF8.encode(value));
  }

  append(value: ArrayBuffer): Status {
    return host.setBufferBytes(this.type, this.size(), 0, value);
  }

  appendText(value: string): Status {
    return this.append(String.UTF8.encode(value));
  }

  prepend(value: ArrayBuffer): Status {
    return host.setBufferBytes(this.type, 0, 0, value);
  }

  prependText(value: string): Status {
    return this.prepend(String.UTF8.encode(value));
  }
}

export const requestBody = new Buffer(BufferType.HttpRequestBody);
export const responseBody = new Buffer(BufferType.HttpResponseBody);
export const downstreamData = new Buffer(BufferType.DownstreamData);
export const upstreamData = new Buffer(BufferType.UpstreamData);
export const httpCallResponseBody = new Buffer(BufferType.HttpCallResponseBody);
export const grpcCallMessage = new Buffer(BufferType.GrpcCallMessage);
export const vmConfiguration = new Buffer(BufferType.VmConfiguration);
export const pluginConfiguration = new Buffer(BufferType.PluginConfiguration);
export const foreignFunctionArguments = new Buffer(BufferType.ForeignFunctionArguments);
