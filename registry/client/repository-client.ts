import { RegistryError } from '../errors.js';
import { Authorizer, loginError } from '../auth/authorizer.js';
import type { CredentialSource } from '../auth/credentials.js';
import {
  isLoopbackHost,
  isPlainHttpAnswer,
  isRetryableNetworkError,
  isRetryableStatus,
  send,
  type HttpRequest,
  type HttpResponse,
  type TransportOptions,
} from './http.js';
import { withRetry, type RetryOptions } from './retry.js';
import { startDeadline } from './deadline.js';

export interface ClientOptions {
  /** Use http:// instead of https://. Default: only for loopback hosts (localhost, 127.0.0.0/8, ::1). */
  plainHttp?: boolean;
  /** Skip TLS verification and fall back to http:// when the server does not speak TLS. Default false. */
  insecure?: boolean;
  /** Where credentials come from. Default: the docker config (see auth/docker-config.ts). */
  credentials?: CredentialSource;
  /** Retries on 5xx, 429 and dropped connections. Default 4 attempts, 250 ms doubling. */
  retry?: RetryOptions;
  /** Socket idle timeout. Default 60 s. */
  timeoutMs?: number;
  /**
   * Overall deadline in ms for everything this client does (one pull or resolve), retries and
   * redirects included. Default none here; pullModule and resolveDigest default to 5 minutes.
   */
  deadlineMs?: number;
  /** The command on whose behalf requests are made, used in error messages. Default: taken from each request's description. */
  operation?: string;
}

export type Action = 'pull' | 'push';

/**
 * Sends requests for one repository: picks the scheme, answers auth challenges, retries what
 * is safe to retry. Everything above (blobs, manifests, tags) is plain HTTP on top of this.
 */
export class RepositoryClient {
  private scheme: 'http' | 'https';
  private readonly authorizer: Authorizer;
  readonly transport: TransportOptions;

  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly options: ClientOptions,
    credentials: CredentialSource,
  ) {
    this.scheme = options.plainHttp || (options.plainHttp === undefined && isLoopbackHost(registry)) ? 'http' : 'https';
    this.transport = {
      insecureSkipVerify: options.insecure ?? false,
      timeoutMs: options.timeoutMs,
      ...(options.deadlineMs ? { deadline: startDeadline(options.deadlineMs) } : {}),
    };
    // One authorizer per client (one push or pull): tokens are reused across its requests, and
    // never across credential sources, so one user's token never serves another.
    this.authorizer = new Authorizer(registry, credentials, this.transport);
  }

  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  url(path: string): URL {
    // Docker Hub is named docker.io (and keyed so in credentials) but its API answers on registry-1.
    const host = this.registry === 'docker.io' ? 'registry-1.docker.io' : this.registry;
    return new URL(`${this.scheme}://${host}/v2/${path}`);
  }

  scopes(actions: Action[], extra: string[] = []): string[] {
    // A push asks for pull,push from its first request, so one token serves its HEAD checks and uploads.
    const wanted = this.options.operation === 'push' ? ['pull', 'push'] : actions;
    return [`repository:${this.repository}:${wanted.join(',')}`, ...extra];
  }

  /**
   * One request with auth. `retry: true` repeats it on 5xx and dropped connections (only for
   * requests that are safe to repeat); 401/403 become 'auth' errors naming how to log in.
   */
  async request(
    req: Omit<HttpRequest, 'url'> & { url: URL | string },
    opts: { scopes: string[]; what: string; retry: boolean },
  ): Promise<HttpResponse> {
    const attempt = async (): Promise<HttpResponse> => {
      const url = typeof req.url === 'string' ? this.url(req.url) : req.url;
      let auth = await this.authorizer.header(opts.scopes);
      let res = await this.sendOnce({ ...req, url }, auth);
      const ctx = { op: this.options.operation ?? opts.what.split(':')[0]!, repository: this.repository };
      if (res.status === 401) {
        auth = await this.authorizer.answer(header(res, 'www-authenticate'), opts.scopes, auth !== undefined, ctx);
        res = await this.sendOnce({ ...req, url }, auth);
        if (res.status === 401) throw loginError(this.registry, ctx, 401, true);
      }
      if (res.status === 403) throw loginError(this.registry, ctx, 403, auth !== undefined);
      if (opts.retry && isRetryableStatus(res.status)) throw new RetryableStatus(res);
      return res;
    };
    // Without retry the caller owns the retry loop (a whole upload session), so errors stay raw for it.
    if (!opts.retry) return attempt();
    try {
      return await withRetry(attempt, isRetryable, this.options.retry);
    } catch (err) {
      throw this.remoteError(err, opts.what);
    }
  }

  /** Turns what is left after retries into a RegistryError that names the registry and the operation. */
  remoteError(err: unknown, description: string): unknown {
    const op = this.options.operation;
    const what = op && !description.startsWith(`${op}:`) ? `${op}: ${description}` : description;
    if (err instanceof RetryableStatus) {
      return new RegistryError(
        'remote',
        `${what}: registry ${this.registry} answered ${err.response.status} ${errorDetail(err.response)} (after ${this.options.retry?.attempts ?? 4} attempts); try again later or check the registry's logs`,
        err.response.status,
      );
    }
    if (err instanceof RegistryError) return err;
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string') {
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(e.code)) {
        return new RegistryError(
          'remote',
          `${what}: TLS certificate of ${this.registry} was not accepted (${e.code}); install its CA, or pass --insecure if you trust the network`,
          undefined,
          { cause: err },
        );
      }
      if (e.code === 'ENOTFOUND')
        return new RegistryError(
          'remote',
          `${what}: registry host ${this.registry} was not found (DNS); check the reference`,
          undefined,
          { cause: err },
        );
      return new RegistryError(
        'remote',
        `${what}: connection to ${this.registry} failed (${e.code}: ${e.message}) after ${isRetryableNetworkError(err) ? (this.options.retry?.attempts ?? 4) + ' attempts' : '1 attempt'}; check that the registry is up and reachable`,
        undefined,
        { cause: err },
      );
    }
    return err;
  }

  private async sendOnce(req: HttpRequest, auth: string | undefined): Promise<HttpResponse> {
    const headers = { ...req.headers, ...(auth ? { authorization: auth } : {}) };
    try {
      const res = await send({ ...req, headers }, this.transport);
      // A loopback registry defaults to http://; when it turns out to serve TLS (Go answers plain
      // requests with this 400), switch to https:// with the usual certificate checks.
      if (
        this.scheme === 'http' &&
        this.options.plainHttp === undefined &&
        res.status === 400 &&
        /HTTP request to an HTTPS server/i.test(res.body.toString('utf8'))
      ) {
        this.scheme = 'https';
        const url = new URL(req.url);
        url.protocol = 'https:';
        return send({ ...req, url, headers }, this.transport);
      }
      return res;
    } catch (err) {
      // Same case for HEAD: node cannot even parse Go's bare 400 to a HEAD (HPE_* parse error).
      if (
        this.scheme === 'http' &&
        this.options.plainHttp === undefined &&
        /^HPE_/.test((err as NodeJS.ErrnoException).code ?? '')
      ) {
        this.scheme = 'https';
        const url = new URL(req.url);
        url.protocol = 'https:';
        return send({ ...req, url, headers }, this.transport);
      }
      // --insecure means: accept a registry that speaks plain HTTP (Istio's fetcher falls back the same way).
      if (this.options.insecure && this.scheme === 'https' && isPlainHttpAnswer(err)) {
        this.scheme = 'http';
        const url = new URL(req.url);
        url.protocol = 'http:';
        return send({ ...req, url, headers }, this.transport);
      }
      throw err;
    }
  }
}

export class RetryableStatus extends Error {
  constructor(readonly response: HttpResponse) {
    super(`status ${response.status}`);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof RetryableStatus || isRetryableNetworkError(err);
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The registry's own error code and message (distribution spec error body), if it sent one. */
export function errorDetail(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return `(${[e.code, e.message].filter(Boolean).join(': ')})`;
  } catch {
    /* not JSON */
  }
  return '';
}
