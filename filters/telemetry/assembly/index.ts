// telemetry: Istio-named request metrics with tags, a JSON access log line per request at
// on_log, and x-request-id generation/propagation. README.md documents names and fields.
import {
  Action, HttpContext, RootContext, Tag, getCurrentTimeNanoseconds, getPropertyInt, getPropertyString,
  formatInt, logError, logInfo, registerRootContext, requestHeaders, responseHeaders,
} from "meshwasm/sdk";
export * from "meshwasm/sdk/http_exports";
import { TelemetryConfig, parseConfig } from "./config";
import { configError } from "meshwasm/sdk/config_fields";
import { MetricSet, OVERFLOW, tagValue } from "./metrics";
import { JsonLine } from "./json_line";
import { newRequestId } from "./request_id";
import { parseDecimal } from "meshwasm/sdk/ascii";

class TelemetryRoot extends RootContext {
  config: TelemetryConfig = new TelemetryConfig();
  metrics: MetricSet = new MetricSet("istio_", 1000);

  onConfigure(size: u32): bool {
    const json = this.getPluginConfigJson();
    if (json === null) return false;
    const c = parseConfig(json);
    if (c === null) {
      logError("telemetry: invalid configuration: " + configError);
      return false;
    }
    this.config = c;
    this.metrics = new MetricSet(c.metricPrefix, c.maxTagCombinations);
    logInfo("telemetry: configured, metric prefix \"" + c.metricPrefix + "\", access log " + (c.accessLog ? "on" : "off"));
    return true;
  }

  createHttpContext(id: u32): HttpContext | null { return new TelemetryFilter(id, this); }
}

function orEmpty(s: string | null): string { return s === null ? "" : s; }

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
  tagValues: Array<string> = new Array<string>();
  logValues: Array<string | null> = new Array<string | null>();

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
    this.path = orEmpty(requestHeaders.get(":path"));
    this.authority = orEmpty(requestHeaders.get(":authority"));
    this.userAgent = orEmpty(requestHeaders.get("user-agent"));
    // Header values are read now: later filters may remove them before on_log.
    for (let i = 0; i < c.tagHeaderNames.length; i++) this.tagValues.push(tagValue(requestHeaders.get(c.tagHeaderNames[i])));
    for (let i = 0; i < c.logHeaderNames.length; i++) this.logValues.push(requestHeaders.get(c.logHeaderNames[i]));
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
    const c = this.telemetry.config;
    if (this.startNs == 0) {
      this.startNs = <u64>getPropertyInt("request.time", <i64>getCurrentTimeNanoseconds());
      this.captureRequest(false);
    }
    if (this.status <= 0) this.status = <i32>getPropertyInt("response.code", 0);
    const durationMs = (getCurrentTimeNanoseconds() - this.startNs) / 1000000;
    const cls = this.status <= 0 ? "unknown" : formatInt(this.status / 100) + "xx";

    const tags = new Array<Tag>();
    tags.push(new Tag("request_method", tagValue(this.method)));
    tags.push(new Tag("response_code_class", cls));
    if (c.responseCodeTag) tags.push(new Tag("response_code", this.status <= 0 ? "unknown" : formatInt(this.status)));
    if (c.routeTag == "authority") tags.push(new Tag("destination_authority", tagValue(hostOf(this.authority))));
    else if (c.routeTag == "route_name") tags.push(new Tag("route_name", tagValue(getPropertyString("route_name"))));
    for (let i = 0; i < c.tagHeaderTags.length; i++) tags.push(new Tag(c.tagHeaderTags[i], this.tagValues[i]));
    const m = this.telemetry.metrics;
    // Cardinality guard: once the budget of tag combinations is spent, new ones share one series.
    if (!m.known(tags) && m.combinations >= m.maxCombinations) {
      for (let i = 0; i < tags.length; i++) tags[i].value = OVERFLOW;
    }
    m.record(tags, durationMs, this.requestBodyBytes, this.responseBodyBytes);

    if (c.accessLog) logInfo(this.accessLogLine(c, durationMs, cls));
  }

  accessLogLine(c: TelemetryConfig, durationMs: u64, cls: string): string {
    const line = new JsonLine();
    for (let i = 0; i < c.logFields.length; i++) {
      const f = c.logFields[i];
      if (f == "start_time") line.num(f, <i64>(this.startNs / 1000000));
      else if (f == "method") line.str(f, this.method);
      else if (f == "path") line.str(f, this.path);
      else if (f == "authority") line.str(f, this.authority);
      else if (f == "protocol") line.str(f, orEmpty(getPropertyString("request.protocol")));
      else if (f == "status") line.num(f, this.status);
      else if (f == "response_code_class") line.str(f, cls);
      else if (f == "duration_ms") line.num(f, <i64>durationMs);
      else if (f == "request_bytes") line.num(f, <i64>this.requestBodyBytes);
      else if (f == "response_bytes") line.num(f, <i64>this.responseBodyBytes);
      else if (f == "request_id") line.str(f, this.requestId);
      else if (f == "user_agent") line.str(f, this.userAgent);
      else if (f == "source_address") line.str(f, orEmpty(getPropertyString("source.address")));
      else if (f == "route_name") line.str(f, orEmpty(getPropertyString("route_name")));
      else if (f == "upstream_cluster") line.str(f, orEmpty(getPropertyString("cluster_name")));
      else if (f == "response_flags") line.num(f, getPropertyInt("response.flags", 0));
    }
    for (let i = 0; i < c.logHeaderFields.length; i++) {
      const v = this.logValues[i];
      if (v === null) line.nul(c.logHeaderFields[i]);
      else line.str(c.logHeaderFields[i], v);
    }
    return line.toString();
  }
}

function hostOf(authority: string): string {
  const close = authority.lastIndexOf("]");
  const colon = authority.lastIndexOf(":");
  return colon > close ? authority.substring(0, colon) : authority;
}

registerRootContext((id: u32): RootContext => new TelemetryRoot(id));
