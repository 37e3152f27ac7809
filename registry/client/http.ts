import http from 'node:http';
import https from 'node:https';
import { RegistryError } from '../errors.js';
import { deadlineError, type Deadline } from './deadline.js';

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
  /** Overall deadline shared by every request of one operation (see deadline.ts). Default none. */
  deadline?: Deadline;
}

/** One HTTP exchange, whole bodies in memory: wasm modules are small and every blob is digest-checked before use. */
export function send(req: HttpRequest, opts: TransportOptions = {}): Promise<HttpResponse> {
  const lib = req.url.protocol === 'https:' ? https : http;
  return new Promise((resolvePromise, rejectPromise) => {
    // Settle once: destroying a response emits 'aborted'/'error' synchronously, and a too-large
    // body must be reported as such (refused, exit 3), not as a dropped connection that is retried.
    let settled = false;
    const resolve = (r: HttpResponse) => {
      if (settled) return;
      settled = true;
      opts.deadline?.signal.removeEventListener('abort', onDeadline);
      resolvePromise(r);
    };
    const reject = (err: unknown) => {
      if (settled) return;
      settled = true;
      opts.deadline?.signal.removeEventListener('abort', onDeadline);
      rejectPromise(err);
    };
    const onDeadline = () => {
      const err = deadlineError(opts.deadline!, req.method, req.url);
      reject(err);
      r.destroy(err);
    };
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
          reject(tooLarge(req, declared));
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (c: Buffer) => {
          total += c.length;
          if (total > req.maxBytes) {
            reject(tooLarge(req, total));
            res.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
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
    if (opts.deadline?.signal.aborted) {
      onDeadline();
      return;
    }
    opts.deadline?.signal.addEventListener('abort', onDeadline, { once: true });
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
