import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { HeaderPairs } from '../host-sim/abi/memory.js';
import type { LocalResponse } from '../host-sim/context.js';
import { frameLines } from '../host-sim/errors.js';
import { FilterManager, type FilterCallbacks, type FilterStage } from '../host-sim/filter-manager.js';
import type { Chain } from './chain.js';
import { invalidRequestHeaders, invalidResponseHeaders, invalidTrailers } from './header-validation.js';
import { header, requestHasBody, requestPairs, responseHasBody, responsePairs, toNodeHeaders } from './http-headers.js';
import { isWasmFilter } from './loaded-filter.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { normalizePath, type PathNormalization } from './path-normalization.js';
import { StreamTimers } from './stream-timers.js';
import { nestProperties, type PropertyValue } from '../host-sim/properties.js';
import type { AccessLogEntry, ProxyStats } from './stats.js';

const EMPTY = new Uint8Array(0);

export interface StreamEnv {
  upstream: URL;
  agent: http.Agent;
  stats: ProxyStats;
  /** Envoy's RouteAction.cluster_header: this request header names the cluster to send to. */
  routeHeader?: string;
  clusters: Map<string, URL>;
  /** Envoy's route timeout: from the end of the request until the upstream's response headers. 0: none. */
  timeoutMs: number;
  /** Envoy's per-cluster connection and pending-request caps. */
  breakers: CircuitBreakers;
  /** Envoy's stream_idle_timeout and request_timeout, ms (0: off). */
  streamIdleTimeoutMs: number;
  requestTimeoutMs: number;
  /** Most body bytes one filter may hold per direction (Envoy's per-stream buffer limit). */
  bufferLimitBytes: number;
  /** Istio's meshConfig.pathNormalization, applied to :path before the first filter. */
  pathNormalization: PathNormalization;
  /** Where the proxy reports what it refused or caught (a log line; never a secret). */
  report(message: string): void;
}

/** Envoy's answer when the route timeout fires before the upstream answered. */
const TIMED_OUT: LocalResponse = {
  status: 504,
  body: Buffer.from('upstream request timeout'),
  headers: [],
  grpcStatus: 14,
  details: 'upstream_response_timeout',
};

/** Envoy's answers when a stream's idle or request timer fires before the response started. */
const STREAM_TIMEOUT: LocalResponse = {
  status: 408,
  body: Buffer.from('stream timeout'),
  headers: [],
  grpcStatus: 4,
  details: 'stream_idle_timeout',
};
const REQUEST_TIMEOUT: LocalResponse = {
  status: 408,
  body: Buffer.from('request timeout'),
  headers: [],
  grpcStatus: 4,
  details: 'request_overall_timeout',
};

/** Envoy's answer when cluster_header names no known cluster (response flag NC). */
const noCluster = (name: string): LocalResponse => ({
  status: 503,
  body: Buffer.from(`no cluster named "${name}"`),
  headers: [],
  grpcStatus: 14,
  details: 'cluster_not_found',
});

/** Envoy's answer when the upstream cannot be reached (the text and details Envoy uses). */
const connectFailure = (reason: string): LocalResponse => ({
  status: 503,
  body: Buffer.from(`upstream connect error or disconnect/reset before headers. reset reason: ${reason}`),
  headers: [],
  grpcStatus: 14,
  details: `upstream_reset_before_response_started{${reason.replaceAll(' ', '_')}}`,
});

/** Envoy's router when encoding the request fails (upstream_request.cc): 503, the reason in the details. */
const badRequestHeaders = (reason: string): LocalResponse => ({
  status: 503,
  body: Buffer.from(reason),
  headers: [],
  grpcStatus: 14,
  details: `filter_removed_required_request_headers{${reason.replaceAll(' ', '_')}}`,
});

const FAIL_CLOSED: LocalResponse = {
  status: 503,
  body: EMPTY,
  headers: [],
  grpcStatus: 14,
  details: 'wasm_fail_stream',
};

/**
 * Streams one HTTP/1.1 exchange through a chain: the downstream request (headers, then each body
 * chunk as it arrives) through the filters' request callbacks to a real upstream request, and the
 * upstream response, chunk by chunk, back through the response callbacks to the client. Nothing
 * is buffered unless a filter asks (FilterManager holds what a stopped filter holds).
 */
export function proxyStream(
  env: StreamEnv,
  chain: Chain,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  onDone: (entry: AccessLogEntry) => void,
): void {
  const started = Date.now();
  /**
   * The one boundary between the event loop and this stream: every event handler below goes
   * through it, so an exception from a filter's output, a host function or node:http resets this
   * stream (counted, logged) instead of escaping to the process.
   */
  const guard =
    <A extends unknown[]>(fn: (...a: A) => void) =>
    (...a: A): void => {
      try {
        fn(...a);
      } catch (err) {
        env.stats.internalErrors++;
        env.report(`stream ${req.method} ${req.url}: reset after an internal error: ${(err as Error).message}`);
        try {
          if (!fm.isComplete) fm.reset();
        } catch {
          res.destroy();
        }
      }
    };
  let upReq: http.ClientRequest | undefined;
  let upRes: http.IncomingMessage | undefined;
  let upstreamAborted = false;
  let responseStarted = false;
  let status = 0;
  let cluster = 'upstream';
  /** The response the filters produced could not be sent; a 502 went out instead. */
  let replaced = false;
  const timers = new StreamTimers(
    env.streamIdleTimeoutMs,
    env.requestTimeoutMs,
    guard(() => {
      if (fm.isComplete) return;
      env.stats.streamIdleTimeouts++;
      env.report(`stream ${req.method} ${req.url}: idle for ${env.streamIdleTimeoutMs} ms, ended`);
      if (responseStarted) fm.reset();
      else fm.sendLocalReply(STREAM_TIMEOUT);
    }),
    guard(() => {
      if (fm.isComplete || responseStarted) return;
      env.stats.requestTimeouts++;
      env.report(`stream ${req.method} ${req.url}: request not sent upstream within ${env.requestTimeoutMs} ms`);
      fm.sendLocalReply(REQUEST_TIMEOUT);
    }),
  );

  const sinks = {
    upstreamHeaders(h: HeaderPairs, end: boolean) {
      // The route is chosen after the filters ran, so a filter that sets the header picks the side.
      let target = env.upstream;
      const clusterName = env.routeHeader ? header(h, env.routeHeader) : undefined;
      if (clusterName) {
        const c = env.clusters.get(clusterName);
        if (!c) {
          queueMicrotask(() => fm.sendLocalReply(noCluster(clusterName)));
          return;
        }
        target = c;
        cluster = clusterName;
      }
      const invalid = invalidRequestHeaders(h);
      if (invalid) {
        env.stats.invalidFilterOutput++;
        env.report(`request ${req.method} ${req.url}: ${invalid}; answered 503`);
        queueMicrotask(guard(() => fm.sendLocalReply(badRequestHeaders(invalid))));
        return;
      }
      if (!env.breakers.acquire(cluster)) {
        env.stats.upstreamOverflow++;
        env.report(
          `request ${req.method} ${req.url}: cluster "${cluster}" is at its connection and pending-request caps; answered 503`,
        );
        queueMicrotask(guard(() => fm.sendLocalReply(connectFailure('overflow'))));
        return;
      }
      const path = header(h, ':path') ?? '/';
      const base = target.pathname.replace(/\/$/, '');
      upReq = http.request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: header(h, ':method') ?? 'GET',
        path: base + path,
        agent: env.agent,
        // Envoy forwards :authority as the Host header unless a route rewrites it.
        headers: { ...toNodeHeaders(h), host: header(h, ':authority') ?? target.host },
      });
      upReq.on('response', guard(onUpstreamResponse));
      upReq.on('error', guard(onUpstreamError));
      upReq.on('finish', guard(startRouteTimer));
      const held = cluster;
      upReq.once('close', () => env.breakers.release(held));
      if (end) {
        upReq.end();
        timers.requestDone();
      }
    },
    upstreamData(chunk: Uint8Array, end: boolean) {
      if (!upReq || upstreamAborted) return;
      timers.touch();
      if (end) {
        upReq.end(chunk);
        timers.requestDone();
        return;
      }
      // Backpressure: stop reading the client while the upstream socket is full.
      if (chunk.length > 0 && !upReq.write(chunk)) {
        req.pause();
        upReq.once('drain', () => req.resume());
      }
    },
    upstreamTrailers(t: HeaderPairs) {
      if (!upReq || upstreamAborted) return;
      const invalid = invalidTrailers(t);
      if (invalid) {
        env.stats.invalidFilterOutput++;
        env.report(`request ${req.method} ${req.url}: ${invalid}; stream reset`);
        queueMicrotask(guard(() => fm.reset()));
        return;
      }
      upReq.addTrailers(toNodeHeaders(t));
      upReq.end();
      timers.requestDone();
    },
    upstreamAbort() {
      upstreamAborted = true;
      upReq?.destroy();
    },
    downstreamHeaders(h: HeaderPairs, end: boolean) {
      responseStarted = true;
      timers.requestDone();
      timers.touch();
      const invalid = invalidResponseHeaders(h);
      if (invalid) {
        // Envoy's checkRequiredResponseHeaders answer: 502 filter_removed_required_response_headers.
        env.stats.invalidFilterOutput++;
        env.report(`response to ${req.method} ${req.url}: ${invalid}; answered 502`);
        replaced = true;
        status = 502;
        const body = Buffer.from(invalid);
        res.writeHead(502, { 'content-type': 'text/plain', 'content-length': body.length });
        res.end(body);
        return;
      }
      status = Number(header(h, ':status'));
      res.writeHead(status, toNodeHeaders(h));
      if (end) res.end();
    },
    downstreamData(chunk: Uint8Array, end: boolean) {
      if (replaced) return;
      timers.touch();
      // The last chunk goes out with the end of the message: one write, not two small packets.
      if (end) {
        res.end(chunk);
        return;
      }
      if (chunk.length > 0 && !res.write(chunk) && upRes) {
        const r = upRes;
        r.pause();
        res.once('drain', () => r.resume());
      }
    },
    downstreamTrailers(t: HeaderPairs) {
      if (replaced) return;
      const invalid = invalidTrailers(t);
      if (invalid) {
        env.stats.invalidFilterOutput++;
        env.report(`response to ${req.method} ${req.url}: ${invalid}; stream reset`);
        res.destroy();
        return;
      }
      res.addTrailers(toNodeHeaders(t));
      res.end();
    },
    downstreamReset() {
      if (replaced) return;
      res.destroy();
    },
  };

  const fm = new FilterManager([], sinks, { bufferLimitBytes: env.bufferLimitBytes });
  let failClosed = false;
  const props = connectionProperties(req);
  for (const f of chain.filters) {
    const part = f.forRequest(props);
    if (part === 'skip') continue;
    if (part === 'fail-closed') {
      failClosed = true;
      break;
    }
    fm.add((cb: FilterCallbacks): FilterStage => part.stage(cb));
  }

  let routeTimer: NodeJS.Timeout | undefined;
  function startRouteTimer(): void {
    if (env.timeoutMs <= 0 || upRes) return;
    routeTimer = setTimeout(
      guard(() => {
        if (upRes || fm.isComplete) return;
        env.stats.upstreamTimeouts++;
        fm.sendLocalReply(TIMED_OUT);
      }),
      env.timeoutMs,
    );
    routeTimer.unref();
  }

  function onUpstreamResponse(r: http.IncomingMessage): void {
    upRes = r;
    clearTimeout(routeTimer);
    if (upstreamAborted || fm.isComplete) {
      r.resume();
      return;
    }
    const st = r.statusCode ?? 502;
    const hasBody = responseHasBody(req.method ?? 'GET', st, r.headers);
    fm.encodeHeaders(responsePairs(st, r.rawHeaders), !hasBody);
    if (!hasBody) {
      r.resume();
      return;
    }
    feedBody(
      r,
      guard((c: Uint8Array, end: boolean) => {
        timers.touch();
        fm.encodeData(c, end);
      }),
      guard((t: HeaderPairs) => fm.encodeTrailers(t)),
    );
    r.on(
      'aborted',
      guard(() => {
        if (!fm.isComplete) fm.reset();
      }),
    );
  }

  function onUpstreamError(err: NodeJS.ErrnoException): void {
    if (upstreamAborted || fm.isComplete) return;
    env.stats.upstreamFailures++;
    if (responseStarted || upRes) {
      fm.reset();
      return;
    }
    const reason =
      err.code === 'ECONNREFUSED'
        ? 'connection failure'
        : err.code === 'ECONNRESET'
          ? 'connection termination'
          : 'connection failure';
    fm.sendLocalReply(connectFailure(reason));
  }

  let finished = false;
  res.on('close', () => {
    clearTimeout(routeTimer);
    timers.clear();
    // The client went away before the response ended: Envoy resets the stream (filters see on_log and on_done).
    if (!fm.isComplete) guard(() => fm.reset())();
    if (finished) return;
    finished = true;
    const trap = fm.outcome.trap;
    if (trap) {
      env.stats.traps++;
      const f = chain.filters.find((x) => x.name === trap.filter);
      if (f && isWasmFilter(f)) f.noteTrap();
    }
    if (fm.outcome.localReply) env.stats.localReplies++;
    if (fm.outcome.tooLarge === 'request') env.stats.requestsTooLarge++;
    if (fm.outcome.tooLarge === 'response') env.stats.responsesTooLarge++;
    const wasReset = (fm.outcome.reset && !replaced) || !res.writableFinished;
    if (wasReset) env.stats.resets++;
    else env.stats.countResponse(status);
    const reqHeaders = { method: req.method ?? '', path: req.url ?? '', authority: req.headers.host ?? '' };
    onDone({
      ...reqHeaders,
      status: res.writableFinished ? status : 0,
      chain: chain.version,
      cluster,
      localReply: fm.outcome.localReply?.details || (fm.outcome.localReply ? 'local_reply' : undefined),
      trap: trap
        ? {
            filter: trap.filter,
            policy: trap.policy,
            message: trap.message,
            callback: trap.callback,
            ...(trap.frames ? { stack: frameLines(trap.frames) } : {}),
          }
        : undefined,
      reset: wasReset,
      durationMs: Date.now() - started,
    });
  });

  guard(() => {
    if (failClosed) {
      req.resume();
      fm.sendLocalReply(FAIL_CLOSED);
      return;
    }
    start();
  })();
  function start(): void {
    const headers = requestPairs(req);
    const path = headers.find(([k]) => k === ':path');
    if (path) path[1] = normalizePath(path[1], env.pathNormalization);
    // Envoy's connection manager stamps these before any filter runs.
    if (!header(headers, 'x-request-id')) headers.push(['x-request-id', randomUUID()]);
    if (!header(headers, 'x-forwarded-proto')) headers.push(['x-forwarded-proto', 'http']);
    const hasBody = requestHasBody(req);
    fm.decodeHeaders(headers, !hasBody);
    if (hasBody)
      feedBody(
        req,
        guard((c: Uint8Array, end: boolean) => {
          timers.touch();
          fm.decodeData(c, end);
        }),
        guard((t: HeaderPairs) => fm.decodeTrailers(t)),
      );
    else req.resume();
  }
}

/**
 * The attributes Envoy takes from the connection: who is calling, on which address. The socket's
 * addresses are read now (a reset socket forgets them, and on_log may ask after a reset); the
 * property tree is built on a filter's first property read, as most requests never make one
 * (building it for every request cost about 4 µs of each one through the proxy).
 */
function connectionProperties(req: http.IncomingMessage): () => Record<string, PropertyValue> {
  const s = req.socket;
  const remote = s.remoteAddress;
  const remotePort = s.remotePort;
  const local = s.localAddress;
  const localPort = s.localPort;
  let tree: Record<string, PropertyValue> | undefined;
  const hostPort = (a: string | undefined, p: number | undefined) => (a?.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  return () =>
    (tree ??= nestProperties({
      'source.address': hostPort(remote, remotePort),
      'source.port': remotePort ?? 0,
      'destination.address': hostPort(local, localPort),
      'destination.port': localPort ?? 0,
    }));
}

/**
 * Hands each chunk of a message body to the filters as it arrives. When the length is known the
 * last chunk carries end_stream, as Envoy's HTTP/1 codec does; otherwise an empty chunk ends it,
 * or the trailers do.
 */
function feedBody(
  msg: http.IncomingMessage,
  data: (c: Uint8Array, end: boolean) => void,
  trailers: (t: HeaderPairs) => void,
): void {
  const declared = msg.headers['transfer-encoding'] ? undefined : Number(msg.headers['content-length'] ?? NaN);
  let received = 0;
  let ended = false;
  msg.on('data', (chunk: Buffer) => {
    if (ended) return;
    received += chunk.length;
    const end = declared !== undefined && !Number.isNaN(declared) && received >= declared;
    if (end) ended = true;
    data(chunk, end);
  });
  msg.on('end', () => {
    if (ended) return;
    ended = true;
    const raw = msg.rawTrailers;
    if (raw.length > 0) {
      const t: HeaderPairs = [];
      for (let i = 0; i + 1 < raw.length; i += 2) t.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
      trailers(t);
    } else data(EMPTY, true);
  });
}
