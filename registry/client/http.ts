import http from 'node:http';
import https from 'node:https';
import { RegistryError } from '../errors.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Refuse a response body larger than this many bytes (checked on Content-Length and while reading). */
  maxBytes: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  url: URL;
}

export interface TransportOptions {
  /** Skip TLS certificate verification. Default false: certificates are verified. */
  insecureSkipVerify?: boolean;
  /** Socket idle timeout in ms. Default 60000. */
  timeoutMs?: number;
}

/** One HTTP exchange, whole bodies in memory: wasm modules are small and every blob is digest-checked before use. */
export function send(req: HttpRequest, opts: TransportOptions = {}): Promise<HttpResponse> {
  const lib = req.url.protocol === 'https:' ? https : http;
  return new Promise((resolvePromise, reject) => {
    const headers: Record<string, string> = { 'user-agent': 'meshwasm', ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.byteLength);
    else if (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH') headers['content-length'] = '0';
    const r = lib.request(
      req.url,
      {
        method: req.method,
        headers,
        rejectUnauthorized: !opts.insecureSkipVerify,
        timeout: opts.timeoutMs ?? 60_000,
      },
      (res) => {
        const declared = Number(res.headers['content-length'] ?? '0');
        if (req.method !== 'HEAD' && declared > req.maxBytes) {
          res.destroy();
          reject(tooLarge(req, declared));
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (c: Buffer) => {
          total += c.length;
          if (total > req.maxBytes) {
            res.destroy();
            reject(tooLarge(req, total));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            url: req.url,
          }),
        );
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      },
    );
    r.on('timeout', () =>
      r.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs ?? 60_000} ms`), { code: 'ETIMEDOUT' })),
    );
    r.on('error', reject);
    r.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined);
  });
}

function tooLarge(req: HttpRequest, size: number): RegistryError {
  return new RegistryError(
    'invalid-input',
    `${req.method} ${req.url.host}${req.url.pathname}: content of ${size} bytes exceeds the limit of ${req.maxBytes} bytes; refused (raise the limit with --max-size if you trust this image)`,
  );
}

const retryableCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** Dropped connections and refused ones are worth another try; TLS and DNS-not-found errors are not. */
export function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && retryableCodes.has(code);
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** A plain-HTTP server answered a TLS hello: what `--insecure` falls back from. */
export function isPlainHttpAnswer(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return e?.code === 'EPROTO' || /wrong version number|packet length too long/i.test(e?.message ?? '');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
