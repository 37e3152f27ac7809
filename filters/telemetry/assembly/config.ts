// The telemetry configuration (pluginConfig JSON), validated at on_configure. README.md documents it.
import { JsonValue, formatInt } from "meshwasm/sdk";
import { lower } from "meshwasm/sdk/ascii";
import { boolAt, configError, fail, failAt, intAt, kindName, objectAt, onlyKeys, oneOf, resetConfigError, stringAt, stringList } from "meshwasm/sdk/config_fields";

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
  /** What on_request_headers and on_log work from, derived once by plan(). */
  logFieldCodes: Array<i32> = new Array<i32>();
  /** For each access-log header: its index in tagHeaderNames when a tag reads it too, else -1. */
  logHeaderTagIndex: Array<i32> = new Array<i32>();
  readsPath: bool = true;
  readsAuthority: bool = true;
  readsUserAgent: bool = true;
  requestIdHeader: string = "x-request-id";
  generateRequestId: bool = true;
  echoRequestId: bool = true;

  constructor() { plan(this); }
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
  if (configError.length > 0) return null;
  plan(c);
  return c;
}

// Access-log fields by their index in ACCESS_LOG_FIELDS: on_log switches on numbers, not names.
export const F_START_TIME = 0, F_METHOD = 1, F_PATH = 2, F_AUTHORITY = 3, F_PROTOCOL = 4, F_STATUS = 5,
  F_CODE_CLASS = 6, F_DURATION = 7, F_REQUEST_BYTES = 8, F_RESPONSE_BYTES = 9, F_REQUEST_ID = 10,
  F_USER_AGENT = 11, F_SOURCE_ADDRESS = 12, F_ROUTE_NAME = 13, F_UPSTREAM_CLUSTER = 14, F_RESPONSE_FLAGS = 15;

/**
 * Field names to codes, and which request headers a request needs read at all: each header read
 * is a host call (and a string), so the path and user agent are read only when the log prints
 * them, the authority only when the route tag or the log uses it, and a header both tagged and
 * logged only once.
 */
export function plan(c: TelemetryConfig): void {
  c.logFieldCodes = new Array<i32>();
  c.logHeaderTagIndex = new Array<i32>();
  if (!c.accessLog) { c.logFields = new Array<string>(); c.logHeaderNames = new Array<string>(); c.logHeaderFields = new Array<string>(); }
  // The flags are set in the same pass as the codes: Array<i32>#includes would be code for three lookups.
  c.readsPath = false;
  c.readsUserAgent = false;
  c.readsAuthority = c.routeTag == "authority";
  for (let i = 0; i < c.logFields.length; i++) {
    const code = ACCESS_LOG_FIELDS.indexOf(c.logFields[i]);
    c.logFieldCodes.push(code);
    if (code == F_PATH) c.readsPath = true;
    else if (code == F_USER_AGENT) c.readsUserAgent = true;
    else if (code == F_AUTHORITY) c.readsAuthority = true;
  }
  for (let i = 0; i < c.logHeaderNames.length; i++) c.logHeaderTagIndex.push(c.tagHeaderNames.indexOf(c.logHeaderNames[i]));
}

/** {"x-tenant": "tenant"}: header name -> tag or field name. */
function headerMap(v: JsonValue | null, where: string, names: Array<string>, targets: Array<string>): void {
  if (v === null) return;
  for (let i = 0; i < v.keys.length; i++) {
    const t = v.get(v.keys[i])!;
    if (!t.isString() || !validName(t.stringValue)) { failAt(where, v.keys[i], "must be a name of letters, digits and _"); continue; }
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
