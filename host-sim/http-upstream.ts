import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HeaderPairs } from './abi/memory.js';
import type { HttpCallRequest, HttpCallResponse } from './context.js';

export type HttpCallOutcome = HttpCallResponse | { failure: string };

/** A test's answer to a proxy_http_call: a response, "timeout" (Envoy answers 504) or "reset". */
export type HttpCallAnswer =
  | {
      status?: number;
      headers?: Record<string, string> | HeaderPairs;
      body?: string | Uint8Array;
      trailers?: Record<string, string> | HeaderPairs;
    }
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
  return {
    headers: [
      [':status', String(status)],
      ['content-length', String(b.length)],
      ['content-type', 'text/plain'],
    ],
    body: b,
    trailers: [],
  };
}

export function answerToOutcome(a: HttpCallAnswer): HttpCallOutcome {
  if (a === 'reset') return { failure: 'reset' };
  // Envoy's async client answers its own timeout with a 504, through the success path.
  if (a === 'timeout') return envoyLocal(504, 'upstream request timeout');
  const headers = toPairs(a.headers).filter(([k]) => k !== ':status');
  headers.unshift([':status', String(a.status ?? 200)]);
  const body = typeof a.body === 'string' ? Buffer.from(a.body) : (a.body ?? new Uint8Array(0));
  return { headers, body, trailers: toPairs(a.trailers) };
}

/**
 * Sends a proxy_http_call to a real HTTP upstream, answering as Envoy's async client would.
 * Uses node:http rather than fetch: Envoy sends whatever the filter built, a GET with a body
 * included (auth calls often do), and fetch refuses a body on GET/HEAD.
 */
export function callRealUpstream(baseUrl: string, req: HttpCallRequest): Promise<HttpCallOutcome> {
  const get = (k: string) => req.headers.find(([n]) => n === k)?.[1];
  const url = new URL(get(':path') ?? '/', baseUrl);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of req.headers) {
    if (k.startsWith(':')) continue;
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  headers.host = get(':authority') ?? url.host;
  if (req.body.length > 0) headers['content-length'] = String(req.body.length);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const r = send(
      url,
      { method: get(':method') ?? 'GET', headers, timeout: req.timeoutMs > 0 ? req.timeoutMs : undefined },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', () =>
          resolve(
            envoyLocal(
              503,
              'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
            ),
          ),
        );
        res.on('end', () => {
          const out: HeaderPairs = [[':status', String(res.statusCode ?? 0)]];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            out.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          const trailers: HeaderPairs = [];
          for (let i = 0; i + 1 < res.rawTrailers.length; i += 2)
            trailers.push([res.rawTrailers[i]!.toLowerCase(), res.rawTrailers[i + 1]!]);
          resolve({ headers: out, body: new Uint8Array(Buffer.concat(parts)), trailers });
        });
      },
    );
    r.on('timeout', () => {
      r.destroy();
      resolve(envoyLocal(504, 'upstream request timeout'));
    });
    r.on('error', () =>
      resolve(
        envoyLocal(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure'),
      ),
    );
    r.end(req.body.length > 0 ? Buffer.from(req.body) : undefined);
  });
}
