// authz: ordered allow/deny rules, API keys, JWTs (HS256/RS256/ES256) and an optional external
// authorization call, evaluated on request headers. README.md documents the configuration.
import { parseDecimal, replaceChar } from "meshwasm/sdk/ascii";
import {
  Action, Counter, HeaderPair, Headers, HttpContext, LogLevel, RootContext, getPropertyString, logDebug,
  logEnabled, logError, logInfo, logWarn, registerRootContext, requestHeaders, httpCallResponseHeaders,
  httpCallResponseBody, BaseContext, formatInt, grpcCallMessage,
} from "meshwasm/sdk";
// The full set: gRPC ext-authz needs the proxy_on_grpc_* callbacks.
export * from "meshwasm/sdk/exports";
import { checkRequest, checkResponse } from "./ext_authz_grpc";
import { ALLOW, AuthzConfig, DENY, Reply, Rule, parseConfig } from "./config";
import { configError } from "./fields";
import { findRule } from "./rules";
import { checkApiKey } from "./apikey";
import { verifyJwt } from "./jwt";
import { queryParam } from "meshwasm/sdk/query";

class AuthzRoot extends RootContext {
  config: AuthzConfig = new AuthzConfig();
  allowed: Counter | null = null;
  denied: Counter | null = null;
  unauthenticated: Counter | null = null;
  extErrors: Counter | null = null;

  onConfigure(size: u32): bool {
    const json = this.getPluginConfigJson();
    if (json === null) return false; // the SDK logged the JSON error
    const c = parseConfig(json);
    if (c === null) {
      logError("authz: invalid configuration: " + configError);
      return false;
    }
    this.config = c;
    this.allowed = Counter.define("authz_allowed_total");
    this.denied = Counter.define("authz_denied_total");
    this.unauthenticated = Counter.define("authz_unauthenticated_total");
    this.extErrors = Counter.define("authz_ext_authz_errors_total");
    logInfo("authz: configured " + formatInt(c.rules.length) + " rule(s), default " + (c.defaultAction == ALLOW ? "allow" : "deny"));
    return true;
  }

  createHttpContext(id: u32): HttpContext | null { return new AuthzFilter(id, this); }
}

function bump(c: Counter | null): void { if (c !== null) c.increment(); }

class AuthzFilter extends HttpContext {
  constructor(id: u32, public authz: AuthzRoot) { super(id, authz); }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const c = this.authz.config;
    const rule = findRule(c);
    // A request denied here is answered locally and never reaches the upstream, so only one that
    // may go on has the identity headers stripped (three host calls saved on every denial).
    if (rule === null) {
      if (c.defaultAction == ALLOW) { this.stripForwardedIdentity(c); return this.allow("default"); }
      return this.deny(c.denied, "no rule matched (default deny)");
    }
    if (rule.action == DENY) {
      const reply = rule.deny;
      return this.deny(reply !== null ? reply : c.denied, "rule \"" + rule.name + "\"");
    }
    this.stripForwardedIdentity(c);
    if (rule.authenticate.length > 0 && !this.authenticate(c, rule)) return Action.Pause;
    if (rule.extAuthz) return this.callExtAuthz(c);
    return this.allow("rule \"" + rule.name + "\"");
  }

  /** Identity headers are ours to set: a client must not be able to send them pre-filled. */
  stripForwardedIdentity(c: AuthzConfig): void {
    const jwt = c.jwt;
    if (jwt !== null) {
      for (let i = 0; i < jwt.claimHeaders.length; i++) requestHeaders.remove(jwt.claimHeaders[i]);
      if (jwt.payloadHeader.length > 0) requestHeaders.remove(jwt.payloadHeader);
    }
    const keys = c.apiKeys;
    if (keys !== null && keys.forwardNameHeader.length > 0) requestHeaders.remove(keys.forwardNameHeader);
  }

  allow(why: string): Action {
    bump(this.authz.allowed);
    if (logEnabled(LogLevel.Debug)) logDebug("authz: allow (" + why + ")");
    return Action.Continue;
  }

  deny(reply: Reply, why: string): Action {
    bump(this.authz.denied);
    if (logEnabled(LogLevel.Debug)) logDebug("authz: deny " + formatInt(reply.status) + " (" + why + ")");
    this.sendLocalResponse(reply.status, reply.body, reply.headers, "authz_denied", -1);
    return Action.Pause;
  }

  /** Tries each accepted credential in order; on failure answers 401 and returns false. */
  authenticate(c: AuthzConfig, rule: Rule): bool {
    let jwtError = "";
    let sawJwt = false;
    const path = requestHeaders.get(":path");
    for (let i = 0; i < rule.authenticate.length; i++) {
      // Configuration checks guarantee the section a rule asks for; the null checks below only
      // spare the module the trap code a `!` would add.
      if (rule.authenticate[i] == "apiKey") {
        const k = c.apiKeys;
        if (k === null) continue;
        let presented = requestHeaders.get(k.header);
        if (presented === null && k.queryParam.length > 0 && path !== null) presented = queryParam(path, k.queryParam);
        if (presented === null) continue;
        const name = checkApiKey(k, presented);
        if (name !== null) {
          if (k.forwardNameHeader.length > 0) requestHeaders.set(k.forwardNameHeader, name);
          if (logEnabled(LogLevel.Debug)) logDebug("authz: api key \"" + name + "\" accepted");
          return true;
        }
        if (logEnabled(LogLevel.Debug)) logDebug("authz: unknown api key");
      } else {
        const j = c.jwt;
        if (j === null) continue;
        let token: string | null = null;
        const h = requestHeaders.get(j.header);
        if (h !== null) {
          if (j.header == "authorization") {
            if (h.length > 7 && isBearer(h)) token = trimOws(h.substring(7, h.length));
          } else token = trimOws(h);
        }
        if (token === null && j.queryParam.length > 0 && path !== null) token = queryParam(path, j.queryParam);
        if (token === null) continue;
        sawJwt = true;
        const r = verifyJwt(j, token);
        const t = r.token;
        if (t !== null) {
          for (let n = 0; n < j.claimNames.length; n++) {
            const v = t.claimValues[n];
            if (v !== null) requestHeaders.set(j.claimHeaders[n], v);
          }
          if (j.payloadHeader.length > 0) requestHeaders.set(j.payloadHeader, t.payloadSegment);
          if (!j.forwardToken && h !== null) requestHeaders.remove(j.header);
          if (logEnabled(LogLevel.Debug)) logDebug("authz: jwt accepted" + (r.cached ? " (cached)" : "") + " (sub \"" + t.sub + "\")");
          return true;
        }
        jwtError = r.reason;
        if (logEnabled(LogLevel.Debug)) logDebug("authz: jwt rejected: " + r.reason);
      }
    }
    bump(this.authz.unauthenticated);
    const reply = c.unauthenticated;
    const headers = new Array<HeaderPair>();
    for (let i = 0; i < reply.headers.length; i++) headers.push(reply.headers[i]);
    if (!hasHeader(headers, "www-authenticate")) headers.push(new HeaderPair("www-authenticate", challenge(c, rule, sawJwt, jwtError)));
    this.sendLocalResponse(reply.status, sawJwt && jwtError.length > 0 && reply.body == "authentication required" ? jwtError : reply.body,
      headers, "authz_unauthenticated", -1);
    return false;
  }

  callExtAuthz(c: AuthzConfig): Action {
    const e = c.extAuthz;
    if (e === null) return this.deny(c.denied, "no extAuthz section"); // fail closed
    if (e.grpc) {
      const call = this.grpcCall(e.cluster, "envoy.service.auth.v3.Authorization", "Check", checkRequest(), null, e.timeoutMs);
      if (call === null) {
        logWarn("authz: extAuthz gRPC call to cluster \"" + e.cluster + "\" refused");
        return this.extAuthzFailed(c);
      }
      return Action.Pause;
    }
    const method = requestHeaders.get(":method");
    const path = requestHeaders.get(":path");
    const headers = new Array<HeaderPair>();
    headers.push(new HeaderPair(":method", method !== null ? method : "GET"));
    headers.push(new HeaderPair(":path", e.pathPrefix + (path !== null ? path : "/")));
    headers.push(new HeaderPair(":authority", e.authority));
    const host = requestHeaders.get(":authority");
    if (host !== null) headers.push(new HeaderPair("x-forwarded-host", host));
    for (let i = 0; i < e.forwardHeaders.length; i++) {
      const v = requestHeaders.get(e.forwardHeaders[i]);
      if (v !== null) headers.push(new HeaderPair(e.forwardHeaders[i], v));
    }
    const id = this.httpCall(e.cluster, headers, null, null, e.timeoutMs, onExtAuthzResponse);
    if (id == 0) {
      logWarn("authz: extAuthz call to cluster \"" + e.cluster + "\" refused");
      return this.extAuthzFailed(c);
    }
    return Action.Pause;
  }

  /** The CheckResponse: OK allows (its headers onto the request), anything else denies. */
  onGrpcReceive(callId: u32, messageSize: u32): void {
    const c = this.authz.config;
    const res = checkResponse(grpcCallMessage.bytes(0, messageSize));
    if (res.malformed) {
      if (logEnabled(LogLevel.Debug)) logDebug("authz: extAuthz answered bytes that are not a CheckResponse");
      if (this.extAuthzFailed(c) == Action.Continue) this.continueRequest();
      return;
    }
    if (res.code == 0) {
      for (let i = 0; i < res.headers.length; i++) requestHeaders.set(res.headers[i].key, res.headers[i].value);
      this.allow("extAuthz OK");
      this.continueRequest();
      return;
    }
    // Envoy's ext_authz: denied_response's status (403 Forbidden when unset), headers and body.
    const r = new Reply();
    r.status = res.httpStatus >= 200 && res.httpStatus <= 599 ? res.httpStatus : 403;
    r.body = res.body;
    r.headers = res.headers;
    this.deny(r, "extAuthz gRPC status " + formatInt(res.code));
  }

  /** The Check call failed (unreachable, timeout, an error status): fail open or closed. */
  onGrpcClose(callId: u32, statusCode: u32): void {
    if (logEnabled(LogLevel.Debug)) logDebug("authz: extAuthz gRPC call failed (status " + formatInt(statusCode) + ")");
    if (this.extAuthzFailed(this.authz.config) == Action.Continue) this.continueRequest();
  }

  extAuthzFailed(c: AuthzConfig): Action {
    bump(this.authz.extErrors);
    const e = c.extAuthz;
    if (e === null || e.failOpen) return this.allow("extAuthz unavailable, failOpen");
    const r = new Reply();
    r.status = e.statusOnError;
    r.body = "external authorization unavailable";
    return this.deny(r, "extAuthz unavailable, fail closed");
  }
}

function onExtAuthzResponse(origin: BaseContext, callId: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  const f = changetype<AuthzFilter>(origin);
  const c = f.authz.config;
  const e = c.extAuthz;
  if (e === null) { f.deny(c.denied, "no extAuthz section"); return; } // fail closed
  let status: i32 = 0;
  if (numHeaders > 0) {
    const statusText = httpCallResponseHeaders.get(":status");
    if (statusText !== null) status = parseDecimal(statusText);
  }
  // Envoy's async client reports its own timeout as a 504 and a reset as no headers at all.
  if (status == 0 || status >= 500) {
    if (logEnabled(LogLevel.Debug)) logDebug("authz: extAuthz failed (status " + formatInt(status) + ")");
    if (f.extAuthzFailed(c) == Action.Continue) f.continueRequest();
    return;
  }
  if (status >= 200 && status < 300) {
    for (let i = 0; i < e.upstreamHeaders.length; i++) {
      const v = httpCallResponseHeaders.get(e.upstreamHeaders[i]);
      if (v !== null) requestHeaders.set(e.upstreamHeaders[i], v);
    }
    f.allow("extAuthz " + formatInt(status));
    f.continueRequest();
    return;
  }
  // A denial: pass the service's status and body to the client, as Envoy's ext_authz does.
  const r = new Reply();
  r.status = <u32>status;
  r.body = bodySize > 0 ? httpCallResponseBody.text(0, bodySize) : "";
  const ct = httpCallResponseHeaders.get("content-type");
  if (ct !== null) r.headers.push(new HeaderPair("content-type", ct));
  const wa = httpCallResponseHeaders.get("www-authenticate");
  if (wa !== null) r.headers.push(new HeaderPair("www-authenticate", wa));
  f.deny(r, "extAuthz " + formatInt(status));
}

/** Without the spaces and tabs HTTP allows around a header value's words (RFC 9110 section 5.6.3). */
function trimOws(s: string): string {
  let start = 0, end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return s.substring(start, end);
}

function isOws(c: i32): bool { return c == 0x20 || c == 0x09; }

/** Starts with "Bearer " in any case (RFC 6750 scheme names are case-insensitive), without a copy. */
function isBearer(h: string): bool {
  for (let i = 0; i < 7; i++) if ((h.charCodeAt(i) | (i < 6 ? 0x20 : 0)) != "bearer ".charCodeAt(i)) return false;
  return true;
}

function hasHeader(h: Headers, name: string): bool {
  for (let i = 0; i < h.length; i++) if (h[i].key == name) return true;
  return false;
}

/** RFC 6750 section 3: no error code when no token was sent, invalid_token when one failed. */
function challenge(c: AuthzConfig, rule: Rule, sawJwt: bool, jwtError: string): string {
  if (rule.authenticate.includes("jwt")) {
    let s = "Bearer realm=\"" + c.realm + "\"";
    if (sawJwt) s += ", error=\"invalid_token\", error_description=\"" + replaceChar(jwtError, 0x22, "'") + "\"";
    return s;
  }
  const k = c.apiKeys;
  return "ApiKey realm=\"" + c.realm + "\", header=\"" + (k !== null ? k.header : "") + "\"";
}

registerRootContext((id: u32): RootContext => new AuthzRoot(id));
