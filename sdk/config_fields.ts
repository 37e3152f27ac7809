// `meshwasm/sdk/config_fields`: reading configuration fields with errors that name the field: every reader records the first
// problem in `configError` ("rules[2].match.path: ...") and returns a fallback, so the caller checks
// once at the end instead of after every field (AssemblyScript has no exceptions).
import { JsonKind, JsonValue, formatInt } from "meshwasm/sdk";
import { join } from "./join";

export let configError: string = "";

export function resetConfigError(): void { configError = ""; }

export function fail(where: string, message: string): void {
  if (configError.length == 0) configError = where + ": " + message;
}

export function kindName(v: JsonValue): string {
  switch (v.kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "a boolean";
    case JsonKind.Number: return "a number";
    case JsonKind.String: return "a string";
    case JsonKind.Array: return "an array";
    default: return "an object";
  }
}

/** fail() for `key` under `where`: records "where.key: message". */
export function failAt(where: string, key: string, message: string): void {
  fail(where + "." + key, message);
}

/** "where.key: must be <what>, got <v's kind>". */
function wrongKind(where: string, key: string, what: string, v: JsonValue): void {
  failAt(where, key, "must be " + what + ", got " + kindName(v));
}

/** Fails on keys outside `allowed`: a typo should not silently disable a check. */
export function onlyKeys(obj: JsonValue, where: string, allowed: Array<string>): void {
  for (let i = 0; i < obj.keys.length; i++) {
    if (!allowed.includes(obj.keys[i])) {
      failAt(where, obj.keys[i], "unknown field (expected one of: " + join(allowed, ", ") + ")");
      return;
    }
  }
}

export function objectAt(parent: JsonValue, key: string, where: string): JsonValue | null {
  const v = parent.get(key);
  if (v === null) return null;
  if (!v.isObject()) { wrongKind(where, key, "an object", v); return null; }
  return v;
}

export function arrayAt(parent: JsonValue, key: string, where: string): Array<JsonValue> {
  const v = parent.get(key);
  if (v === null) return new Array<JsonValue>();
  if (!v.isArray()) { wrongKind(where, key, "an array", v); return new Array<JsonValue>(); }
  return v.items;
}

export function stringAt(parent: JsonValue, key: string, where: string, fallback: string): string {
  const v = parent.get(key);
  if (v === null) return fallback;
  if (!v.isString()) { wrongKind(where, key, "a string", v); return fallback; }
  return v.stringValue;
}

export function requiredString(parent: JsonValue, key: string, where: string): string {
  const v = parent.get(key);
  if (v === null) { failAt(where, key, "is required"); return ""; }
  if (!v.isString() || v.stringValue.length == 0) { failAt(where, key, "must be a non-empty string"); return ""; }
  return v.stringValue;
}

export function boolAt(parent: JsonValue, key: string, where: string, fallback: bool): bool {
  const v = parent.get(key);
  if (v === null) return fallback;
  if (!v.isBool()) { wrongKind(where, key, "true or false", v); return fallback; }
  return v.boolValue;
}

export function intAt(parent: JsonValue, key: string, where: string, fallback: i64, min: i64, max: i64): i64 {
  const v = parent.get(key);
  if (v === null) return fallback;
  if (!v.isNumber() || v.numberValue != Math.floor(v.numberValue)) { failAt(where, key, "must be an integer"); return fallback; }
  const n = <i64>v.numberValue;
  if (n < min || n > max) { failAt(where, key, "must be between " + formatInt(min) + " and " + formatInt(max) + " (got " + formatInt(n) + ")"); return fallback; }
  return n;
}

export function stringList(parent: JsonValue, key: string, where: string): Array<string> {
  const out = new Array<string>();
  const items = arrayAt(parent, key, where);
  for (let i = 0; i < items.length; i++) {
    if (!items[i].isString()) { wrongKind(where, key + "[" + formatInt(i) + "]", "a string", items[i]); continue; }
    out.push(items[i].stringValue);
  }
  return out;
}

export function oneOf(value: string, where: string, allowed: Array<string>): void {
  if (!allowed.includes(value)) fail(where, "must be one of \"" + join(allowed, "\", \"") + "\" (got \"" + value + "\")");
}
