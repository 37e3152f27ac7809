// header-routing: rules over headers, path, query and cookies that edit request and response
// headers, rewrite path/authority and set the header the route table selects the upstream by,
// with a sticky percentage canary. README.md documents the configuration.
import {
  Action, Counter, HttpContext, LogLevel, RootContext, logDebug, logEnabled, logError, logInfo,
  registerRootContext, requestHeaders, responseHeaders, HeaderMap, formatInt,
} from "meshwasm/sdk";
export * from "meshwasm/sdk/http_exports";
import { COOKIE, HEADER, HeaderEdits, Rule, RoutingConfig, parseConfig } from "./config";
import { configError } from "meshwasm/sdk/config_fields";
import { queryParam } from "meshwasm/sdk/query";
import { charIndex } from "meshwasm/sdk/ascii";
import { cookieValue } from "./cookies";
import { bucketOf } from "./hash";

class RoutingRoot extends RootContext {
  config: RoutingConfig = new RoutingConfig();
  canaryHits: Counter | null = null;
  routed: Counter | null = null;

  onConfigure(size: u32): bool {
    const json = this.getPluginConfigJson();
    if (json === null) return false;
    const c = parseConfig(json);
    if (c === null) {
      logError("header-routing: invalid configuration: " + configError);
      return false;
    }
    this.config = c;
    this.routed = Counter.define("header_routing_matched_total");
    this.canaryHits = Counter.define("header_routing_canary_total");
    logInfo("header-routing: configured " + formatInt(c.rules.length) + " rule(s), route header \"" + c.routeHeader + "\"");
    return true;
  }

  createHttpContext(id: u32): HttpContext | null { return new RoutingFilter(id, this); }
}

function pathOnly(path: string): string {
  const q = charIndex(path, 0x3f, 0);
  return q < 0 ? path : path.substring(0, q);
}

function matches(r: Rule, path: string): bool {
  if (r.methods.length > 0) {
    const m = requestHeaders.get(":method");
    if (m === null || !r.methods.includes(m)) return false;
  }
  if (r.path !== null && !r.path!.matches(pathOnly(path))) return false;
  for (let i = 0; i < r.conditions.length; i++) {
    const c = r.conditions[i];
    const v = c.source == HEADER ? requestHeaders.get(c.name) : c.source == COOKIE ? cookieValue(c.name) : queryParam(path, c.name);
    if (c.present == 0) { if (v !== null) return false; continue; }
    if (v === null) return false;
    if (c.value !== null && !c.value!.matches(v)) return false;
  }
  return true;
}

function applyEdits(map: HeaderMap, e: HeaderEdits): void {
  for (let i = 0; i < e.rename.length; i++) {
    const from = e.rename[i].key, to = e.rename[i].value;
    const v = map.get(from);
    if (v !== null) { map.remove(from); map.set(to, v); }
  }
  for (let i = 0; i < e.remove.length; i++) map.remove(e.remove[i]);
  for (let i = 0; i < e.sets.length; i++) map.set(e.sets[i].key, e.sets[i].value);
  for (let i = 0; i < e.add.length; i++) map.add(e.add[i].key, e.add[i].value);
}

class RoutingFilter extends HttpContext {
  /** Rules that matched and edit the response; made only when one does (most requests: none). */
  matched: Array<Rule> | null = null;

  constructor(id: u32, public routing: RoutingRoot) { super(id, routing); }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const c = this.routing.config;
    const p = requestHeaders.get(":path");
    let path = p !== null ? p : "/";
    let route = c.defaultRoute;
    for (let i = 0; i < c.rules.length; i++) {
      const r = c.rules[i];
      if (!matches(r, path)) continue;
      if (!r.response.isEmpty()) {
        let m = this.matched;
        if (m === null) { m = new Array<Rule>(); this.matched = m; }
        m.push(r);
      }
      if (this.routing.routed !== null) this.routing.routed!.increment();
      if (r.route.length > 0) route = r.route;
      const canary = r.canary;
      if (canary !== null) {
        const key = canary.hashHeader.length > 0 ? requestHeaders.get(canary.hashHeader) : cookieValue(canary.hashCookie);
        // No user key: stay on the stable side, so anonymous traffic never flaps between versions.
        if (key !== null && key.length > 0 && bucketOf(key) < canary.basisPoints) {
          route = canary.route;
          if (this.routing.canaryHits !== null) this.routing.canaryHits!.increment();
        }
      }
      applyEdits(requestHeaders, r.request);
      if (r.rewritePath.length > 0) {
        const q = charIndex(path, 0x3f, 0);
        path = r.rewritePath + (q >= 0 ? path.substring(q, path.length) : "");
        requestHeaders.set(":path", path);
      } else if (r.rewritePrefixFrom.length > 0 && path.startsWith(r.rewritePrefixFrom)) {
        path = r.rewritePrefixTo + path.substring(r.rewritePrefixFrom.length, path.length);
        if (path.startsWith("//")) path = path.substring(1, path.length);
        requestHeaders.set(":path", path);
      }
      if (r.rewriteAuthority.length > 0) requestHeaders.set(":authority", r.rewriteAuthority);
      if (logEnabled(LogLevel.Debug)) logDebug("header-routing: rule \"" + r.name + "\" matched, route \"" + route + "\"");
      if (!r.fallThrough) break;
    }
    // The route header is ours: a client-sent value must not pick the upstream.
    if (route.length > 0) requestHeaders.set(c.routeHeader, route);
    else requestHeaders.remove(c.routeHeader);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const m = this.matched;
    if (m !== null) for (let i = 0; i < m.length; i++) applyEdits(responseHeaders, m[i].response);
    return Action.Continue;
  }
}

registerRootContext((id: u32): RootContext => new RoutingRoot(id));
