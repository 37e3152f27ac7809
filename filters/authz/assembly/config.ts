// The authz configuration (pluginConfig JSON) as typed objects, validated once at on_configure.
// README.md documents every field; config.schema.json is the same contract as JSON Schema.
import { lower, upper } from "meshwasm/sdk/ascii";
import { HeaderPair, Headers, JsonValue, formatInt } from "meshwasm/sdk";
import { StringMatch, parseStringMatch } from "./string_match";
import { Cidr, parseCidr } from "./cidr";
import { JwtConfig, parseJwtConfig } from "./jwt_config";
import { ApiKeyConfig, parseApiKeyConfig } from "./apikey";
import {
  arrayAt, boolAt, configError, fail, intAt, objectAt, onlyKeys, oneOf, requiredString,
  resetConfigError, stringAt, stringList,
} from "./fields";

export class HeaderCondition {
  name: string = "";
  /** 1: must be present, 0: must be absent, -1: not checked. */
  present: i32 = -1;
  value: StringMatch | null = null;
}

export class RuleMatch {
  methods: Array<string> = [];
  path: StringMatch | null = null;
  hosts: Array<string> = [];
  headers: Array<HeaderCondition> = [];
  sources: Array<Cidr> = [];
  principals: Array<StringMatch> = [];
}

export class Reply {
  status: u32 = 403;
  body: string = "";
  headers: Headers = [];
}

export const ALLOW = 0, DENY = 1;

export class Rule {
  name: string = "";
  match: RuleMatch = new RuleMatch();
  action: i32 = ALLOW;
  /** Credentials accepted (any one suffices): "jwt", "apiKey". Empty: none required. */
  authenticate: Array<string> = [];
  extAuthz: bool = false;
  deny: Reply | null = null;
}

export class ExtAuthzConfig {
  cluster: string = "";
  /** Speak envoy.service.auth.v3.Authorization/Check over gRPC instead of plain HTTP. */
  grpc: bool = false;
  authority: string = "";
  pathPrefix: string = "";
  timeoutMs: u32 = 1000;
  failOpen: bool = false;
  statusOnError: u32 = 403;
  /** Request headers sent to the authorization service. */
  forwardHeaders: Array<string> = [];
  /** Headers of an allowing answer copied onto the request before it goes upstream. */
  upstreamHeaders: Array<string> = [];
}

export class AuthzConfig {
  rules: Array<Rule> = [];
  defaultAction: i32 = DENY;
  realm: string = "meshwasm";
  denied: Reply = new Reply();
  unauthenticated: Reply = new Reply();
  jwt: JwtConfig | null = null;
  apiKeys: ApiKeyConfig | null = null;
  extAuthz: ExtAuthzConfig | null = null;
}

/** Parses the configuration; null with `configError` set when any field is wrong. */
export function parseConfig(root: JsonValue): AuthzConfig | null {
  resetConfigError();
  const c = new AuthzConfig();
  if (!root.isObject()) { fail("configuration", "must be a JSON object"); return null; }
  onlyKeys(root, "configuration", ["rules", "defaultAction", "realm", "denied", "unauthenticated", "jwt", "apiKeys", "extAuthz"]);
  const def = stringAt(root, "defaultAction", "configuration", "deny");
  oneOf(def, "defaultAction", ["allow", "deny"]);
  c.defaultAction = def == "allow" ? ALLOW : DENY;
  c.realm = stringAt(root, "realm", "configuration", "meshwasm");
  c.denied = parseReply(objectAt(root, "denied", "configuration"), "denied", 403, "RBAC: access denied");
  c.unauthenticated = parseReply(objectAt(root, "unauthenticated", "configuration"), "unauthenticated", 401, "authentication required");

  const jwt = objectAt(root, "jwt", "configuration");
  if (jwt !== null) c.jwt = parseJwtConfig(jwt, "jwt");
  const keys = objectAt(root, "apiKeys", "configuration");
  if (keys !== null) c.apiKeys = parseApiKeyConfig(keys, "apiKeys");
  const ext = objectAt(root, "extAuthz", "configuration");
  if (ext !== null) c.extAuthz = parseExtAuthz(ext, "extAuthz");

  const rules = arrayAt(root, "rules", "configuration");
  for (let i = 0; i < rules.length && configError.length == 0; i++) {
    const r = parseRule(rules[i], "rules[" + formatInt(i) + "]", c);
    if (r !== null) c.rules.push(r);
  }
  return configError.length == 0 ? c : null;
}

function parseReply(v: JsonValue | null, where: string, status: u32, body: string): Reply {
  const r = new Reply();
  r.status = status;
  r.body = body;
  if (v === null) return r;
  onlyKeys(v, where, ["status", "body", "headers"]);
  r.status = <u32>intAt(v, "status", where, status, 200, 599);
  r.body = stringAt(v, "body", where, body);
  const h = objectAt(v, "headers", where);
  if (h !== null) {
    for (let i = 0; i < h.keys.length; i++) {
      const val = h.get(h.keys[i])!;
      if (!val.isString()) { fail(where + ".headers." + h.keys[i], "must be a string"); continue; }
      r.headers.push(new HeaderPair(lower(h.keys[i]), val.stringValue));
    }
  }
  return r;
}

function parseRule(v: JsonValue, where: string, c: AuthzConfig): Rule | null {
  if (!v.isObject()) { fail(where, "must be an object"); return null; }
  onlyKeys(v, where, ["name", "match", "action", "authenticate", "extAuthz", "deny"]);
  const r = new Rule();
  r.name = stringAt(v, "name", where, where);
  const action = stringAt(v, "action", where, "allow");
  oneOf(action, where + ".action", ["allow", "deny"]);
  r.action = action == "deny" ? DENY : ALLOW;
  const m = objectAt(v, "match", where);
  if (m !== null) r.match = parseMatch(m, where + ".match");
  r.authenticate = stringList(v, "authenticate", where);
  for (let i = 0; i < r.authenticate.length; i++) {
    const a = r.authenticate[i];
    const w = where + ".authenticate[" + formatInt(i) + "]";
    oneOf(a, w, ["jwt", "apiKey"]);
    if (a == "jwt" && c.jwt === null) fail(w, "asks for \"jwt\" but the configuration has no \"jwt\" section");
    if (a == "apiKey" && c.apiKeys === null) fail(w, "asks for \"apiKey\" but the configuration has no \"apiKeys\" section");
  }
  r.extAuthz = boolAt(v, "extAuthz", where, false);
  if (r.extAuthz && c.extAuthz === null) fail(where + ".extAuthz", "is true but the configuration has no \"extAuthz\" section");
  const deny = objectAt(v, "deny", where);
  if (deny !== null) r.deny = parseReply(deny, where + ".deny", c.denied.status, c.denied.body);
  if (r.action == DENY && (r.authenticate.length > 0 || r.extAuthz)) fail(where, "a deny rule cannot also authenticate or call extAuthz");
  return r;
}

function parseMatch(v: JsonValue, where: string): RuleMatch {
  const m = new RuleMatch();
  onlyKeys(v, where, ["methods", "path", "hosts", "headers", "sourceAddresses", "principals"]);
  m.methods = stringList(v, "methods", where);
  for (let i = 0; i < m.methods.length; i++) m.methods[i] = upper(m.methods[i]);
  const p = v.get("path");
  if (p !== null) m.path = parseStringMatch(p, where + ".path");
  m.hosts = stringList(v, "hosts", where);
  for (let i = 0; i < m.hosts.length; i++) m.hosts[i] = lower(m.hosts[i]);
  const headers = arrayAt(v, "headers", where);
  for (let i = 0; i < headers.length; i++) {
    const w = where + ".headers[" + formatInt(i) + "]";
    const h = headers[i];
    if (!h.isObject()) { fail(w, "must be an object"); continue; }
    onlyKeys(h, w, ["name", "present", "exact", "prefix", "suffix", "contains", "regex", "ignoreCase"]);
    const cond = new HeaderCondition();
    cond.name = lower(requiredString(h, "name", w));
    const present = h.get("present");
    if (present !== null) {
      if (!present.isBool()) fail(w + ".present", "must be true or false");
      cond.present = present.boolValue ? 1 : 0;
    }
    if (h.has("exact") || h.has("prefix") || h.has("suffix") || h.has("contains") || h.has("regex")) {
      if (cond.present == 0) fail(w, "\"present\": false cannot be combined with a value condition");
      const copy = JsonValue.object();
      for (let k = 0; k < h.keys.length; k++) if (h.keys[k] != "name" && h.keys[k] != "present") copy.set(h.keys[k], h.get(h.keys[k])!);
      cond.value = parseStringMatch(copy, w);
    } else if (cond.present < 0) cond.present = 1; // {"name": "x"} alone means "present"
    m.headers.push(cond);
  }
  const sources = stringList(v, "sourceAddresses", where);
  for (let i = 0; i < sources.length; i++) {
    const c = parseCidr(sources[i]);
    if (c === null) fail(where + ".sourceAddresses[" + formatInt(i) + "]", "not an address or CIDR range");
    else m.sources.push(c);
  }
  const principals = arrayAt(v, "principals", where);
  for (let i = 0; i < principals.length; i++) {
    const pm = parseStringMatch(principals[i], where + ".principals[" + formatInt(i) + "]");
    if (pm !== null) m.principals.push(pm);
  }
  return m;
}

function parseExtAuthz(v: JsonValue, where: string): ExtAuthzConfig {
  const e = new ExtAuthzConfig();
  onlyKeys(v, where, ["cluster", "grpc", "authority", "pathPrefix", "timeoutMs", "failOpen", "statusOnError", "forwardHeaders", "upstreamHeaders"]);
  e.cluster = requiredString(v, "cluster", where);
  e.grpc = boolAt(v, "grpc", where, false);
  e.authority = stringAt(v, "authority", where, e.cluster);
  e.pathPrefix = stringAt(v, "pathPrefix", where, "");
  e.timeoutMs = <u32>intAt(v, "timeoutMs", where, 1000, 1, 60000);
  e.failOpen = boolAt(v, "failOpen", where, false);
  e.statusOnError = <u32>intAt(v, "statusOnError", where, 403, 200, 599);
  e.forwardHeaders = v.has("forwardHeaders") ? stringList(v, "forwardHeaders", where) : ["authorization", "cookie"];
  e.upstreamHeaders = stringList(v, "upstreamHeaders", where);
  for (let i = 0; i < e.forwardHeaders.length; i++) e.forwardHeaders[i] = lower(e.forwardHeaders[i]);
  for (let i = 0; i < e.upstreamHeaders.length; i++) e.upstreamHeaders[i] = lower(e.upstreamHeaders[i]);
  return e;
}
