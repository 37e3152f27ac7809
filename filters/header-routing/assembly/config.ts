// The header-routing configuration (pluginConfig JSON), validated at on_configure.
import { HeaderPair, Headers, JsonValue, formatInt } from "meshwasm/sdk";
import { lower, upper } from "meshwasm/sdk/ascii";
import { StringMatch, parseStringMatch } from "./string_match";
import {
  arrayAt, boolAt, configError, fail, intAt, kindName, objectAt, onlyKeys, requiredString,
  resetConfigError, stringAt, stringList,
} from "meshwasm/sdk/config_fields";

/** Where a condition reads its value. */
export const HEADER = 0, QUERY = 1, COOKIE = 2;

export class Condition {
  source: i32 = HEADER;
  name: string = "";
  /** 1 must be present, 0 must be absent, -1 unchecked. */
  present: i32 = -1;
  value: StringMatch | null = null;
}

export class HeaderEdits {
  sets: Headers = new Array<HeaderPair>();
  add: Headers = new Array<HeaderPair>();
  remove: Array<string> = new Array<string>();
  /** old -> new name, value kept */
  rename: Headers = new Array<HeaderPair>();
  isEmpty(): bool { return this.sets.length + this.add.length + this.remove.length + this.rename.length == 0; }
}

export class Canary {
  route: string = "";
  /** Share of matching traffic, in hundredths of a percent (0..10000). */
  basisPoints: i32 = 0;
  hashHeader: string = "";
  hashCookie: string = "";
}

export class Rule {
  name: string = "";
  methods: Array<string> = new Array<string>();
  path: StringMatch | null = null;
  conditions: Array<Condition> = new Array<Condition>();
  route: string = "";
  canary: Canary | null = null;
  request: HeaderEdits = new HeaderEdits();
  response: HeaderEdits = new HeaderEdits();
  rewritePath: string = "";
  rewritePrefixFrom: string = "";
  rewritePrefixTo: string = "";
  rewriteAuthority: string = "";
  /** Keep evaluating later rules after this one matched (edits accumulate, last route wins). */
  fallThrough: bool = false;
}

export class RoutingConfig {
  routeHeader: string = "x-route-to";
  defaultRoute: string = "";
  rules: Array<Rule> = new Array<Rule>();
}

export function parseConfig(root: JsonValue): RoutingConfig | null {
  resetConfigError();
  const c = new RoutingConfig();
  if (!root.isObject()) { fail("configuration", "must be a JSON object, got " + kindName(root)); return null; }
  onlyKeys(root, "configuration", ["routeHeader", "defaultRoute", "rules"]);
  c.routeHeader = lower(stringAt(root, "routeHeader", "configuration", "x-route-to"));
  if (c.routeHeader.length == 0) fail("routeHeader", "must not be empty");
  c.defaultRoute = stringAt(root, "defaultRoute", "configuration", "");
  const rules = arrayAt(root, "rules", "configuration");
  for (let i = 0; i < rules.length && configError.length == 0; i++) {
    const r = parseRule(rules[i], "rules[" + formatInt(i) + "]");
    if (r !== null) c.rules.push(r);
  }
  return configError.length == 0 ? c : null;
}

function parseRule(v: JsonValue, where: string): Rule | null {
  if (!v.isObject()) { fail(where, "must be an object, got " + kindName(v)); return null; }
  onlyKeys(v, where, ["name", "match", "route", "canary", "requestHeaders", "responseHeaders", "rewrite", "fallThrough"]);
  const r = new Rule();
  r.name = stringAt(v, "name", where, where);
  const m = objectAt(v, "match", where);
  if (m !== null) parseMatch(m, where + ".match", r);
  r.route = stringAt(v, "route", where, "");
  r.fallThrough = boolAt(v, "fallThrough", where, false);
  const canary = objectAt(v, "canary", where);
  if (canary !== null) {
    const w = where + ".canary";
    onlyKeys(canary, w, ["route", "percent", "hashHeader", "hashCookie"]);
    const cn = new Canary();
    cn.route = requiredString(canary, "route", w);
    const p = canary.get("percent");
    if (p === null || !p.isNumber() || p.numberValue < 0 || p.numberValue > 100) fail(w + ".percent", "must be a number from 0 to 100");
    else cn.basisPoints = <i32>Math.round(p.numberValue * 100);
    cn.hashHeader = lower(stringAt(canary, "hashHeader", w, ""));
    cn.hashCookie = stringAt(canary, "hashCookie", w, "");
    if ((cn.hashHeader.length == 0) == (cn.hashCookie.length == 0)) fail(w, "needs exactly one of hashHeader, hashCookie (the user key to hash)");
    r.canary = cn;
  }
  r.request = parseEdits(objectAt(v, "requestHeaders", where), where + ".requestHeaders");
  r.response = parseEdits(objectAt(v, "responseHeaders", where), where + ".responseHeaders");
  const rw = objectAt(v, "rewrite", where);
  if (rw !== null) {
    const w = where + ".rewrite";
    onlyKeys(rw, w, ["path", "prefix", "authority"]);
    r.rewritePath = stringAt(rw, "path", w, "");
    if (r.rewritePath.length > 0 && !r.rewritePath.startsWith("/")) fail(w + ".path", "must start with /");
    const pre = objectAt(rw, "prefix", w);
    if (pre !== null) {
      onlyKeys(pre, w + ".prefix", ["from", "to"]);
      r.rewritePrefixFrom = requiredString(pre, "from", w + ".prefix");
      r.rewritePrefixTo = stringAt(pre, "to", w + ".prefix", "/");
      if (r.rewritePath.length > 0) fail(w, "path and prefix cannot both be set");
    }
    r.rewriteAuthority = stringAt(rw, "authority", w, "");
  }
  return r;
}

function parseMatch(v: JsonValue, where: string, r: Rule): void {
  onlyKeys(v, where, ["methods", "path", "headers", "query", "cookies"]);
  r.methods = stringList(v, "methods", where);
  for (let i = 0; i < r.methods.length; i++) r.methods[i] = upper(r.methods[i]);
  const p = v.get("path");
  if (p !== null) r.path = parseStringMatch(p, where + ".path");
  conditions(v, "headers", where, HEADER, r.conditions);
  conditions(v, "query", where, QUERY, r.conditions);
  conditions(v, "cookies", where, COOKIE, r.conditions);
}

function conditions(v: JsonValue, key: string, where: string, source: i32, out: Array<Condition>): void {
  const items = arrayAt(v, key, where);
  for (let i = 0; i < items.length; i++) {
    const w = where + "." + key + "[" + formatInt(i) + "]";
    const h = items[i];
    if (!h.isObject()) { fail(w, "must be an object like {\"name\": \"x\", \"exact\": \"1\"}"); continue; }
    onlyKeys(h, w, ["name", "present", "exact", "prefix", "suffix", "contains", "regex", "ignoreCase"]);
    const cond = new Condition();
    cond.source = source;
    cond.name = requiredString(h, "name", w);
    if (source == HEADER) cond.name = lower(cond.name);
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
    } else if (cond.present < 0) cond.present = 1;
    out.push(cond);
  }
}

function pairsOf(v: JsonValue | null, where: string, out: Headers, lowerValues: bool): void {
  if (v === null) return;
  if (!v.isObject()) { fail(where, "must be an object of header names to values"); return; }
  for (let i = 0; i < v.keys.length; i++) {
    const val = v.get(v.keys[i])!;
    if (!val.isString()) { fail(where + "." + v.keys[i], "must be a string"); continue; }
    out.push(new HeaderPair(lower(v.keys[i]), lowerValues ? lower(val.stringValue) : val.stringValue));
  }
}

function parseEdits(v: JsonValue | null, where: string): HeaderEdits {
  const e = new HeaderEdits();
  if (v === null) return e;
  onlyKeys(v, where, ["set", "add", "remove", "rename"]);
  pairsOf(v.get("set"), where + ".set", e.sets, false);
  pairsOf(v.get("add"), where + ".add", e.add, false);
  pairsOf(v.get("rename"), where + ".rename", e.rename, true);
  const remove = stringList(v, "remove", where);
  for (let i = 0; i < remove.length; i++) e.remove.push(lower(remove[i]));
  return e;
}
