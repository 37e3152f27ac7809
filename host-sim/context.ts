import type { BufferType, MapType, StreamType, WasmResult } from './abi/constants.js';
import type { HeaderPairs } from './abi/memory.js';
import type { Plugin } from './plugin.js';

export interface LocalResponse {
  status: number;
  body: Uint8Array;
  headers: HeaderPairs;
  grpcStatus: number;
  details: string;
}

export interface HttpCallResponse {
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
}

/**
 * What a host function needs from the context it runs in: a root context (the plugin) or a
 * stream context (one HTTP request). Which maps and buffers exist depends on the phase, as in
 * Envoy: a missing one reads as empty and refuses writes.
 */
export interface ProxyContext {
  readonly id: number;
  readonly plugin: Plugin;
  readonly kind: 'root' | 'stream';
  /** Set while proxy_on_http_call_response runs on this context. */
  httpCallResponse: HttpCallResponse | undefined;
  /** proxy_get_status: set by failed http calls (BrokenConnection, "reset"). */
  status: { code: number; message: string };
  getMap(type: MapType): HeaderPairs | undefined;
  getBuffer(type: BufferType): Uint8Array | undefined;
  setBuffer(type: BufferType, start: number, length: number, data: Uint8Array): WasmResult;
  getProperty(path: string[]): Uint8Array | undefined;
  setProperty(path: string, value: Uint8Array): WasmResult;
  sendLocalResponse(response: LocalResponse): WasmResult;
  continueStream(type: StreamType): WasmResult;
  closeStream(type: StreamType): WasmResult;
}
