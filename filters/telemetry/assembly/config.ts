// The telemetry configuration (pluginConfig JSON), validated at on_configure. README.md documents it.
import { JsonValue, formatInt } from "meshwasm/sdk";
import { lower } from "meshwasm/sdk/ascii";
import { boolAt, configError, fail, intAt, kindName, objectAt, onlyKeys, oneOf, resetConfigError, stringAt, stringList } from "meshwasm/sdk/config_fields";

export const ACCESS_LOG_FIELDS: Array<string> = [
  "start_time", "method", "path", "authority", "protocol", "status", "response_code_class", "duration_ms",
  "request_bytes", "response_bytes", "request_id", "user_agent", "source_address", "route_name",
  "upstream_cluster", "response_flags",
];

export class TelemetryConfig {
  metricPrefix: string = "istio_";
  /** "authority", "route_name" or "none": what the route tag holds. */
  routeTag: string = "authority";
  responseCodeTag: bool = true;
  tagHeaderNames: Array<string> = new Array<string>();
  tagHeaderTags: Array<string> = new Array<string>();
  maxTagCombinations: i32 = 1000;
  accessLog: bool = true;
  logFields: Array<string> = new Array<string>();
  logHeaderNames: Array<string> = new Array<string>();
  logHeaderFields: Array<string> = new Array<string>();
  requestIdHeader: string = "x-request-id";
  generateRequestId: bool = true;
  echoRequestId: bool = true;
}

export function parseConfig(root: JsonValue): TelemetryConfig | null {
  resetConfigError();
  const c = new TelemetryConfig();
  if (!root.isObject()) { fail("configuration", "must be a JSON object, got " + kindName(root)); return null; }
  onlyKeys(root, "configuration", ["metricPrefix", "routeTag", "responseCodeTag", "tagHeaders", "maxTagCombinations", "accessLog", "requestId"]);
  c.metricPrefix = stringAt(root, "metricPrefix", "configuration", "istio_");
  c.routeTag = stringAt(root, "routeTag", "configuration", "authority");
  oneOf(c.routeTag, "routeTag", ["authority", "route_name", "none"]);
  c.responseCodeTag = boolAt(root, "responseCodeTag", "configuration", true);
  c.maxTagCombinations = <i32>intAt(root, "maxTagCombinations", "configuration", 1000, 1, 100000);
  headerMap(objectAt(root, "tagHeaders", "configuration"), "tagHeaders", c.tagHeaderNames, c.tagHeaderTags);

  const log = objectAt(root, "accessLog", "configuration");
  c.logFields = ["start_time", "method", "path", "authority", "status", "duration_ms", "request_bytes", "response_bytes", "request_id", "user_agent"];
  if (log !== null) {
    onlyKeys(log, "accessLog", ["enabled", "fields", "headers"]);
    c.accessLog = boolAt(log, "enabled", "accessLog", true);
    if (log.has("fields")) c.logFields = stringList(log, "fields", "accessLog");
    for (let i = 0; i < c.logFields.length; i++) oneOf(c.logFields[i], "accessLog.fields[" + formatInt(i) + "]", ACCESS_LOG_FIELDS);
    headerMap(objectAt(log, "headers", "accessLog"), "accessLog.headers", c.logHeaderNames, c.logHeaderFields);
  }
  const rid = objectAt(root, "requestId", "configuration");
  if (rid !== null) {
    onlyKeys(rid, "requestId", ["header", "generate", "echoInResponse"]);
    c.requestIdHeader = lower(stringAt(rid, "header", "requestId", "x-request-id"));
    c.generateRequestId = boolAt(rid, "generate", "requestId", true);
    c.echoRequestId = boolAt(rid, "echoInResponse", "requestId", true);
  }
  return configError.length == 0 ? c : null;
}

/** {"x-tenant": "tenant"}: header name -> tag or field name. */
function headerMap(v: JsonValue | null, where: string, names: Array<string>, targets: Array<string>): void {
  if (v === null) return;
  for (let i = 0; i < v.keys.length; i++) {
    const t = v.get(v.keys[i])!;
    if (!t.isString() || !validName(t.stringValue)) { fail(where + "." + v.keys[i], "must be a name of letters, digits and _"); continue; }
    names.push(lower(v.keys[i]));
    targets.push(t.stringValue);
  }
}

function validName(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95)) return false;
  }
  return true;
}
