import type { HeaderPairs } from './abi/memory.js';
import type { PropertyValue } from './properties.js';

/** What Envoy knows about one request that filters read as properties. */
export interface StreamInfo {
  requestHeaders?: HeaderPairs;
  responseHeaders?: HeaderPairs;
  responseTrailers?: HeaderPairs;
  requestBodyBytes: number;
  responseBodyBytes: number;
  startTimeMs: number;
  nowMs: number;
  responseCodeDetails?: string;
}

const header = (h: HeaderPairs | undefined, name: string) => h?.find(([k]) => k === name)?.[1];
const headerSize = (h: HeaderPairs | undefined) => (h ?? []).reduce((n, [k, v]) => n + k.length + v.length, 0);

/**
 * The request.*, response.* attributes Envoy documents, computed from the stream. Connection
 * and node attributes are host or test supplied (see Host defaults).
 */
export function streamAttribute(info: StreamInfo, path: string[]): PropertyValue | undefined {
  const [group, name, sub] = path;
  if (group === 'request') {
    const h = info.requestHeaders;
    const p = header(h, ':path') ?? '';
    switch (name) {
      case 'path':
        return header(h, ':path');
      case 'url_path':
        return p.split('?')[0];
      case 'host':
        return header(h, ':authority');
      case 'scheme':
        return header(h, ':scheme') ?? 'http';
      case 'method':
        return header(h, ':method');
      case 'headers':
        if (sub !== undefined) return header(h, sub.toLowerCase());
        return { pairs: h ?? [] };
      case 'referer':
        return header(h, 'referer');
      case 'useragent':
        return header(h, 'user-agent');
      case 'id':
        return header(h, 'x-request-id');
      case 'protocol':
        return 'HTTP/1.1';
      case 'query':
        return p.includes('?') ? p.slice(p.indexOf('?') + 1) : '';
      case 'time':
        return new Date(info.startTimeMs);
      case 'duration':
        return { durationNs: BigInt(Math.round((info.nowMs - info.startTimeMs) * 1e6)) };
      case 'size': {
        // Envoy prefers content-length (known at headers time) over the bytes received so far;
        // an unparseable content-length yields no value.
        const cl = header(h, 'content-length');
        if (cl === undefined) return info.requestBodyBytes;
        return /^\d+$/.test(cl) ? Number(cl) : undefined;
      }
      case 'total_size':
        return info.requestBodyBytes + headerSize(h);
      default:
        return undefined;
    }
  }
  if (group === 'response') {
    const h = info.responseHeaders;
    if (!h) return undefined;
    switch (name) {
      case 'code': {
        const s = header(h, ':status');
        return s === undefined ? undefined : Number(s);
      }
      case 'code_details':
        return info.responseCodeDetails ?? 'via_upstream';
      case 'flags':
        return 0;
      case 'grpc_status': {
        const g = header(info.responseTrailers, 'grpc-status') ?? header(h, 'grpc-status');
        return g === undefined ? undefined : Number(g);
      }
      case 'headers':
        if (sub !== undefined) return header(h, sub.toLowerCase());
        return { pairs: h };
      case 'trailers':
        if (sub !== undefined) return header(info.responseTrailers, sub.toLowerCase());
        return { pairs: info.responseTrailers ?? [] };
      case 'size':
        return info.responseBodyBytes;
      case 'total_size':
        return info.responseBodyBytes + headerSize(h);
      default:
        return undefined;
    }
  }
  return undefined;
}
