// telemetry: Istio-named request metrics with tags, a JSON access log line per request at
// on_log, and x-request-id generation/propagation. README.md documents names and fields.
import {
  Action, HttpContext, LogLevel, RootContext, getCurrentTimeNanoseconds, getPropertyInt, getPropertyString,
  formatInt, logError, logInfo, registerRootContext, requestHeaders, responseHeaders,
} from "meshwasm/sdk";
export * from "meshwasm/sdk/http_exports";
import {
  F_AUTHORITY, F_CODE_CLASS, F_DURATION, F_METHOD, F_PATH, F_PROTOCOL, F_REQUEST_BYTES, F_REQUEST_ID,
  F_RESPONSE_BYTES, F_RESPONSE_FLAGS, F_ROUTE_NAME, F_SOURCE_ADDRESS, F_START_TIME, F_STATUS, F_UPSTREAM_CLUSTER,
  F_USER_AGENT, TelemetryConfig, parseConfig,
} from "./config";
import { configError } from "meshwasm/sdk/config_fields";
import { MetricSet, tagValue } from "./metrics";
import { JsonLine } from "./json_line";
import { newRequestId } from "./request_id";
import { lastCharIndex, parseDecimal } from "meshwasm/sdk/ascii";

class TelemetryRoot extends RootContext {
  config: TelemetryConfig = new TelemetryConfig();
  metrics: MetricSet = new MetricSet(this.config);
  /** response_code tag values by status, made once each: formatInt per request was a string each time. */
  codes: StaticArray<string | null> = new StaticArray<string | null>(600);
  /** response_code_class values ("2xx" and the like) by a status' hundreds, made once each. */
  classes: StaticArray<string | null> = new StaticArray<string | null>(10);
  /** The last authority and its route tag value: a proxy sees few hosts, and the tag is a copy when it has dots. */
  lastAuthority: string = "";
  lastAuthorityTag: string = "unknown";

  onConfigure(size: u32): bool {
    const json = this.getPluginConfigJson();
    if (json === null) return false;
    const c = parseConfig(json);
    if (c === null) {
      logError("telemetry: invalid configuration: " + configError);
      return false;
    }
    this.config = c;
    this.metrics = new MetricSet(c);
    logInfo("telemetry: configured, metric prefix \"" + c.metricPrefix + "\", access log " + (c.accessLog ? "on" : "off"));
    return true;
  }

  createHttpContext(id: u32): HttpContext | null { return new TelemetryFilter(id, this); }

  /** The status' class ("2xx" and the like), by its hundreds. */
  classText(status: i32): string {
    return status <= 0 ? "unknown" : cachedText(this.classes, status / 100, "xx");
  }

  codeText(status: i32): string {
    return status <= 0 ? "unknown" : cachedText(this.codes, status, "");
  }

  authorityTag(authority: string): string {
    if (authority != this.lastAuthority) {
      this.lastAuthority = authority;
      this.lastAuthorityTag = tagValue(hostOf(authority));
    }
    return this.lastAuthorityTag;
  }
}

/** formatInt(n) + suffix, made once for each n the cache has room for. */
function cachedText(cache: StaticArray<string | null>, n: i32, suffix: string): string {
  if (n >= cache.length) return formatInt(n) + suffix;
  let known = unchecked(cache[n]);
  if (known === null) {
    known = formatInt(n) + suffix;
    unchecked(cache[n] = known);
  }
  return known;
}

function orEmpty(s: string | null): string { return s === null ? "" : s; }

/** One JsonLine for the VM: its buffer is reused by every request's line. */
const line = new JsonLine();

class TelemetryFilter extends HttpContext {
  startNs: u64 = 0;
  method: string = "";
  path: string = "";
  authority: string = "";
  userAgent: string = "";
  requestId: string = "";
  status: i32 = 0;
  requestBodyBytes: u64 = 0;
  responseBodyBytes: u64 = 0;
  /** Raw values of the tag headers, read at request time; null when the config tags none. */
  tagHeaderValues: StaticArray<string | null> | null = null;
  /** Raw values of the access-log headers that no tag reads too. */
  logHeaderValues: StaticArray<string | null> | null = null;

  constructor(id: u32, public telemetry: TelemetryRoot) { super(id, telemetry); }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.startNs = getCurrentTimeNanoseconds();
    this.captureRequest(true);
    return Action.Continue;
  }

  /**
   * Reads what the metrics and the log need from the request headers. Normally at
   * on_request_headers; at on_log when an earlier filter (authz) answered before the request
   * reached this one: Envoy still calls on_log then, with the request headers readable.
   */
  captureRequest(atRequestTime: bool): void {
    const c = this.telemetry.config;
    this.method = orEmpty(requestHeaders.get(":method"));
    if (c.readsPath) this.path = orEmpty(requestHeaders.get(":path"));
    if (c.readsAuthority) this.authority = orEmpty(requestHeaders.get(":authority"));
    if (c.readsUserAgent) this.userAgent = orEmpty(requestHeaders.get("user-agent"));
    // Header values are read now: later filters may remove them before on_log.
    const tags = c.tagHeaderNames.length;
    if (tags > 0) {
      const values = new StaticArray<string | null>(tags);
      for (let i = 0; i < tags; i++) unchecked(values[i] = requestHeaders.get(c.tagHeaderNames[i]));
      this.tagHeaderValues = values;
    }
    const logged = c.logHeaderNames.length;
    if (logged > 0) {
      const values = new StaticArray<string | null>(logged);
      for (let i = 0; i < logged; i++) if (unchecked(c.logHeaderTagIndex[i]) < 0) unchecked(values[i] = requestHeaders.get(c.logHeaderNames[i]));
      this.logHeaderValues = values;
    }
    const id = requestHeaders.get(c.requestIdHeader);
    if (id !== null && id.length > 0) this.requestId = id;
    else if (c.generateRequestId) {
      this.requestId = newRequestId();
      // Only a request still on its way can carry the new id upstream.
      if (atRequestTime) requestHeaders.set(c.requestIdHeader, this.requestId);
    }
  }

  onRequestBody(size: u32, endOfStream: bool): Action {
    this.requestBodyBytes += <u64>size;
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.status = parseDecimal(orEmpty(responseHeaders.get(":status")));
    const c = this.telemetry.config;
    if (c.echoRequestId && this.requestId.length > 0 && !responseHeaders.has(c.requestIdHeader)) {
      responseHeaders.set(c.requestIdHeader, this.requestId);
    }
    return Action.Continue;
  }

  onResponseBody(size: u32, endOfStream: bool): Action {
    this.responseBodyBytes += <u64>size;
    return Action.Continue;
  }

  onLog(): void {
    const root = this.telemetry;
    const c = root.config;
    if (this.startNs == 0) {
      this.startNs = <u64>getPropertyInt("request.time", <i64>getCurrentTimeNanoseconds());
      this.captureRequest(false);
    }
    if (this.status <= 0) this.status = <i32>getPropertyInt("response.code", 0);
    const durationMs = (getCurrentTimeNanoseconds() - this.startNs) / 1000000;
    const cls = root.classText(this.status);

    // In tagNames' order: method, class, [code], [route], header tags.
    const m = root.metrics;
    const values = m.values;
    let t = 0;
    // Unchecked: values has exactly one slot per tag name, and this fills them in tagNames' order.
    unchecked(values[t++] = tagValue(this.method));
    unchecked(values[t++] = cls);
    if (c.responseCodeTag) unchecked(values[t++] = root.codeText(this.status));
    if (c.routeTag == "authority") unchecked(values[t++] = root.authorityTag(this.authority));
    else if (c.routeTag == "route_name") unchecked(values[t++] = tagValue(getPropertyString("route_name")));
    const headerValues = this.tagHeaderValues;
    if (headerValues !== null) for (let i = 0; i < headerValues.length; i++) unchecked(values[t++] = tagValue(headerValues[i]));
    m.record(durationMs, this.requestBodyBytes, this.responseBodyBytes);

    if (c.accessLog) {
      this.writeAccessLog(c, durationMs, cls);
      line.log(LogLevel.Info);
    }
  }

  writeAccessLog(c: TelemetryConfig, durationMs: u64, cls: string): void {
    line.begin();
    for (let i = 0; i < c.logFieldCodes.length; i++) {
      // Each field picks a string or a number; one str and one num call write them all.
      let s: string | null = null;
      let n: i64 = 0;
      switch (unchecked(c.logFieldCodes[i])) {
        case F_START_TIME: n = <i64>(this.startNs / 1000000); break;
        case F_METHOD: s = this.method; break;
        case F_PATH: s = this.path; break;
        case F_AUTHORITY: s = this.authority; break;
        case F_PROTOCOL: s = orEmpty(getPropertyString("request.protocol")); break;
        case F_STATUS: n = this.status; break;
        case F_CODE_CLASS: s = cls; break;
        case F_DURATION: n = <i64>durationMs; break;
        case F_REQUEST_BYTES: n = <i64>this.requestBodyBytes; break;
        case F_RESPONSE_BYTES: n = <i64>this.responseBodyBytes; break;
        case F_REQUEST_ID: s = this.requestId; break;
        case F_USER_AGENT: s = this.userAgent; break;
        case F_SOURCE_ADDRESS: s = orEmpty(getPropertyString("source.address")); break;
        case F_ROUTE_NAME: s = orEmpty(getPropertyString("route_name")); break;
        case F_UPSTREAM_CLUSTER: s = orEmpty(getPropertyString("cluster_name")); break;
        case F_RESPONSE_FLAGS: n = getPropertyInt("response.flags", 0); break;
      }
      if (s !== null) line.str(c.logFields[i], s);
      else line.num(c.logFields[i], n);
    }
    for (let i = 0; i < c.logHeaderFields.length; i++) {
      const tagIndex = unchecked(c.logHeaderTagIndex[i]);
      let v: string | null = null;
      if (tagIndex >= 0) { const tagged = this.tagHeaderValues; if (tagged !== null) v = tagged[tagIndex]; }
      else { const logged = this.logHeaderValues; if (logged !== null) v = logged[i]; }
      if (v === null) line.nul(c.logHeaderFields[i]);
      else line.str(c.logHeaderFields[i], v);
    }
  }
}

function hostOf(authority: string): string {
  const close = lastCharIndex(authority, 0x5d);
  const colon = lastCharIndex(authority, 0x3a);
  return colon > close ? authority.substring(0, colon) : authority;
}

registerRootContext((id: u32): RootContext => new TelemetryRoot(id));
