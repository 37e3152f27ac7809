import type { IncomingMessage } from 'node:http';
import type { HeaderPairs } from '../host-sim/abi/memory.js';

/** Hop-by-hop headers belong to one connection; a proxy never forwards them (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

/** A downstream HTTP/1.1 request as Envoy's codec presents it to the filters (pseudo-headers first). */
export function requestPairs(req: IncomingMessage): HeaderPairs {
  const pairs: HeaderPairs = [
    [':authority', req.headers.host ?? ''],
    [':path', req.url ?? '/'],
    [':method', req.method ?? 'GET'],
    [':scheme', 'http'],
  ];
  pushRaw(pairs, req.rawHeaders, new Set(['host']));
  return pairs;
}

/** An upstream response as filters see it: :status, then the headers. */
export function responsePairs(status: number, rawHeaders: string[]): HeaderPairs {
  const pairs: HeaderPairs = [[':status', String(status)]];
  pushRaw(pairs, rawHeaders, new Set());
  return pairs;
}

function pushRaw(pairs: HeaderPairs, raw: string[], skip: Set<string>): void {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(k) || skip.has(k)) continue;
    pairs.push([k, raw[i + 1]!]);
  }
}

/** Regular headers (no pseudo-headers, no hop-by-hop) grouped for node:http, values in order. */
export function toNodeHeaders(pairs: HeaderPairs): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    if (k.startsWith(':') || HOP_BY_HOP.has(k)) continue;
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else out[k] = Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return out;
}

export const header = (pairs: HeaderPairs, name: string) => pairs.find(([k]) => k === name)?.[1];

/** Whether an HTTP/1.1 request carries a body (RFC 9112 6.3: only with content-length or chunked). */
export function requestHasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding']) return true;
  const len = req.headers['content-length'];
  return len !== undefined && Number(len) > 0;
}

/** Whether a response carries a body (RFC 9112 6.3). */
export function responseHasBody(method: string, status: number, headers: IncomingMessage['headers']): boolean {
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return false;
  if (headers['content-length'] !== undefined && !headers['transfer-encoding'])
    return Number(headers['content-length']) > 0;
  return true;
}
