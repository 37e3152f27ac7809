import type { HeaderPairs } from './abi/memory.js';
import type { HttpCallResponse } from './context.js';
import type { HttpCallRequest } from './plugin.js';

export type HttpCallOutcome = HttpCallResponse | { failure: string };

/** A test's answer to a proxy_http_call: a response, "timeout" (Envoy answers 504) or "reset". */
export type HttpCallAnswer =
  | { status?: number; headers?: Record<string, string> | HeaderPairs; body?: string | Uint8Array; trailers?: Record<string, string> | HeaderPairs }
  | 'timeout'
  | 'reset';

export type HttpCallResponder = (req: HttpCallRequest) => HttpCallAnswer | Promise<HttpCallAnswer>;

/** A cluster is a responder function or the base URL of a real HTTP upstream. */
export type ClusterTarget = HttpCallResponder | string;

export function toPairs(h: Record<string, string> | HeaderPairs | undefined): HeaderPairs {
  if (!h) return [];
  if (Array.isArray(h)) return h.map(([k, v]) => [k.toLowerCase(), String(v)]);
  return Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]);
}

function envoyLocal(status: number, body: string): HttpCallResponse {
  const b = Buffer.from(body);
  return { headers: [[':status', String(status)], ['content-length', String(b.length)], ['content-type', 'text/plain']], body: b, trailers: [] };
}

export function answerToOutcome(a: HttpCallAnswer): HttpCallOutcome {
  if (a === 'reset') return { failure: 'reset' };
  // Envoy's async client answers its own timeout with a 504, through the success path.
  if (a === 'timeout') return envoyLocal(504, 'upstream request timeout');
  const headers = toPairs(a.headers).filter(([k]) => k !== ':status');
  headers.unshift([':status', String(a.status ?? 200)]);
  const body = typeof a.body === 'string' ? Buffer.from(a.body) : a.body ?? new Uint8Array(0);
  return { headers, body, trailers: toPairs(a.trailers) };
}

/** Sends a proxy_http_call to a real HTTP upstream, answering as Envoy's async client would. */
export async function callRealUpstream(baseUrl: string, req: HttpCallRequest): Promise<HttpCallOutcome> {
  const get = (k: string) => req.headers.find(([n]) => n === k)?.[1];
  const url = new URL(get(':path') ?? '/', baseUrl);
  const headers = new Headers();
  for (const [k, v] of req.headers) if (!k.startsWith(':') && k !== 'content-length') headers.append(k, v);
  headers.set('host', get(':authority') ?? url.host);
  try {
    const res = await fetch(url, {
      method: get(':method') ?? 'GET',
      headers,
      body: req.body.length > 0 ? Buffer.from(req.body) : undefined,
      signal: req.timeoutMs > 0 ? AbortSignal.timeout(req.timeoutMs) : undefined,
      redirect: 'manual',
    });
    const body = new Uint8Array(await res.arrayBuffer());
    const out: HeaderPairs = [[':status', String(res.status)]];
    res.headers.forEach((v, k) => out.push([k, v]));
    return { headers: out, body, trailers: [] };
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return envoyLocal(504, 'upstream request timeout');
    return envoyLocal(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
  }
}
