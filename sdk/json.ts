// A small JSON reader for plugin configuration. One value class (kind + payload) rather than a
// class per kind, so authors never need downcasts. Objects keep their key order.
import { formatInt } from "./decimal";

export enum JsonKind { Null = 0, Bool = 1, Number = 2, String = 3, Array = 4, Object = 5 }

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  stringValue: string = "";
  // Allocated only for arrays and objects: scalars stay one small object each.
  private _items: Array<JsonValue> | null = null;
  private _keys: Array<string> | null = null;
  // An object's values, parallel to `keys`, searched linearly rather than kept in a Map: objects
  // in a configuration or a token hold a handful of keys, and a Map<string, ...> with its string
  // hash costs every filter about 1 KB of code.
  private _values: Array<JsonValue> | null = null;

  /** Elements of an array (empty for other kinds). */
  get items(): Array<JsonValue> {
    let v = this._items;
    if (v === null) { v = new Array<JsonValue>(); this._items = v; }
    return v;
  }
  /** Keys of an object in document order (empty for other kinds). Read it; add with set(). */
  get keys(): Array<string> {
    let v = this._keys;
    if (v === null) { v = new Array<string>(); this._keys = v; }
    return v;
  }
  private get values(): Array<JsonValue> {
    let v = this._values;
    if (v === null) { v = new Array<JsonValue>(); this._values = v; }
    return v;
  }

  /** Where `key` is in keys/values, -1 when absent. */
  private indexOf(key: string): i32 {
    const keys = this._keys;
    const values = this._values;
    if (keys === null || values === null) return -1;
    // Only positions that hold a value: a key pushed onto `keys` by hand has none.
    const n = min(keys.length, values.length);
    for (let i = 0; i < n; i++) if (unchecked(keys[i]) == key) return i;
    return -1;
  }

  static null(): JsonValue { return new JsonValue(); }
  static bool(b: bool): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Bool; v.boolValue = b; return v; }
  static number(n: f64): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Number; v.numberValue = n; return v; }
  static string(s: string): JsonValue { const v = new JsonValue(); v.kind = JsonKind.String; v.stringValue = s; return v; }
  static array(): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Array; return v; }
  static object(): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Object; return v; }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isObject(): bool { return this.kind == JsonKind.Object; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isString(): bool { return this.kind == JsonKind.String; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isBool(): bool { return this.kind == JsonKind.Bool; }

  /** Field of an object (null when absent or not an object). */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    const i = this.indexOf(key);
    return i < 0 ? null : unchecked(this.values[i]);
  }

  has(key: string): bool { return this.kind == JsonKind.Object && this.indexOf(key) >= 0; }

  /** Element of an array (null when out of range or not an array). */
  at(index: i32): JsonValue | null {
    if (this.kind != JsonKind.Array || index < 0 || index >= this.items.length) return null;
    return this.items[index];
  }

  get length(): i32 {
    if (this.kind == JsonKind.Array) return this.items.length;
    if (this.kind == JsonKind.Object) return this.keys.length;
    return 0;
  }

  /** Adds a field, or replaces the value of an existing key where it stands (so a repeated key
   * in a document keeps its first place and its last value). */
  set(key: string, value: JsonValue): void {
    const i = this.indexOf(key);
    if (i >= 0) { unchecked(this.values[i] = value); return; }
    this.keys.push(key);
    this.values.push(value);
  }

  push(value: JsonValue): void { this.items.push(value); }

  // Typed reads with a default, for the common "config field or fallback" case.
  getString(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.String ? v.stringValue : fallback;
  }
  getNumber(key: string, fallback: f64 = 0): f64 {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Number ? v.numberValue : fallback;
  }
  getInteger(key: string, fallback: i64 = 0): i64 {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Number ? <i64>v.numberValue : fallback;
  }
  getBool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v !== null && v.kind == JsonKind.Bool ? v.boolValue : fallback;
  }
  /** Strings of an array field (other elements skipped); empty when absent. */
  getStringArray(key: string): Array<string> {
    const out = new Array<string>();
    const v = this.get(key);
    if (v === null || v.kind != JsonKind.Array) return out;
    for (let i = 0; i < v.items.length; i++) {
      const item = v.items[i];
      if (item.kind == JsonKind.String) out.push(item.stringValue);
    }
    return out;
  }

  toString(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.Bool: return this.boolValue ? "true" : "false";
      case JsonKind.Number: {
        const n = this.numberValue;
        if (n == Math.floor(n) && Math.abs(n) < 9007199254740992) return formatInt(<i64>n);
        return n.toString();
      }
      case JsonKind.String: return quote(this.stringValue);
      case JsonKind.Array: {
        let s = "[";
        for (let i = 0; i < this.items.length; i++) {
          if (i > 0) s += ",";
          s += this.items[i].toString();
        }
        return s + "]";
      }
      default: {
        let s = "{";
        for (let i = 0; i < this.keys.length; i++) {
          if (i > 0) s += ",";
          s += quote(this.keys[i]) + ":" + this.values[i].toString();
        }
        return s + "}";
      }
    }
  }
}

// Control characters are below 0x20, so their \u escape is "\u00" and two hex digits.
const HEX_DIGITS = "0123456789abcdef";

function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + HEX_DIGITS.charAt(c >> 4) + HEX_DIGITS.charAt(c & 15);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** Why the last parseJson returned null: message with the character offset. */
export let jsonError: string = "";

/** Parses JSON text; null on malformed input (see jsonError). */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  p.skipWs();
  const v = p.value(0);
  if (v === null) { jsonError = p.error; return null; }
  p.skipWs();
  if (p.pos < text.length) { jsonError = "unexpected character at offset " + formatInt(p.pos); return null; }
  jsonError = "";
  return v;
}

const MAX_DEPTH = 64;

class Parser {
  pos: i32 = 0;
  error: string = "";
  constructor(public text: string) {}

  fail(what: string): JsonValue | null {
    if (this.error.length == 0) this.error = what + " at offset " + formatInt(this.pos);
    return null;
  }

  skipWs(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.pos++;
      else break;
    }
  }

  literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) == word) { this.pos += word.length; return true; }
    return false;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    if (this.pos >= this.text.length) return this.fail("unexpected end of input");
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : JsonValue.string(s);
    }
    if (c == 0x74) return this.literal("true") ? JsonValue.bool(true) : this.fail("invalid literal");
    if (c == 0x66) return this.literal("false") ? JsonValue.bool(false) : this.fail("invalid literal");
    if (c == 0x6e) return this.literal("null") ? JsonValue.null() : this.fail("invalid literal");
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected character '" + String.fromCharCode(c) + "'");
  }

  number(): JsonValue | null {
    const start = this.pos;
    const t = this.text;
    if (t.charCodeAt(this.pos) == 0x2d) this.pos++;
    let digits = 0;
    // JSON forbids leading zeros: "0" ends the integer part.
    if (this.pos < t.length && t.charCodeAt(this.pos) == 0x30) { this.pos++; digits = 1; }
    else while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) { this.pos++; digits++; }
    if (digits == 0) return this.fail("invalid number");
    if (this.pos < t.length && t.charCodeAt(this.pos) == 0x2e) {
      this.pos++;
      let frac = 0;
      while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) { this.pos++; frac++; }
      if (frac == 0) return this.fail("invalid number");
    }
    if (this.pos < t.length && (t.charCodeAt(this.pos) | 0x20) == 0x65) {
      this.pos++;
      if (this.pos < t.length && (t.charCodeAt(this.pos) == 0x2b || t.charCodeAt(this.pos) == 0x2d)) this.pos++;
      let exp = 0;
      while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) { this.pos++; exp++; }
      if (exp == 0) return this.fail("invalid number");
    }
    return JsonValue.number(decimalToF64(t, start, this.pos));
  }

  string(): string | null {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c == 0x22) {
        out += t.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) {
        out += t.substring(runStart, this.pos);
        this.pos++;
        if (this.pos >= t.length) break;
        const e = t.charCodeAt(this.pos);
        if (e == 0x22) out += "\"";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x2f) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          if (this.pos + 4 >= t.length) { this.fail("truncated \\u escape"); return null; }
          const code = parseHex4(t, this.pos + 1);
          if (code < 0) { this.fail("invalid \\u escape"); return null; }
          out += String.fromCharCode(code); // surrogate halves combine in UTF-16 strings
          this.pos += 4;
        } else { this.fail("invalid escape"); return null; }
        this.pos++;
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return null;
  }

  array(depth: i32): JsonValue | null {
    this.pos++;
    const arr = JsonValue.array();
    this.skipWs();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) { this.pos++; return arr; }
    while (true) {
      this.skipWs();
      const v = this.value(depth + 1);
      if (v === null) return null;
      arr.push(v);
      this.skipWs();
      if (this.pos >= this.text.length) return this.fail("unterminated array");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x5d) return arr;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or ']'"); }
    }
    return null;
  }

  object(depth: i32): JsonValue | null {
    this.pos++;
    const obj = JsonValue.object();
    this.skipWs();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) { this.pos++; return obj; }
    while (true) {
      this.skipWs();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) return this.fail("expected a string key");
      const key = this.string();
      if (key === null) return null;
      this.skipWs();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      this.skipWs();
      const v = this.value(depth + 1);
      if (v === null) return null;
      obj.set(key, v);
      this.skipWs();
      if (this.pos >= this.text.length) return this.fail("unterminated object");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x7d) return obj;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or '}'"); }
    }
    return null;
  }
}

// Our own decimal conversion instead of parseFloat: std's strtod and its tables are about a
// quarter of a small filter's size. Exact for integers up to 2^53 and for the short decimals
// configurations hold; may differ from strtod in the last bit for long fractions.
function decimalToF64(t: string, start: i32, end: i32): f64 {
  let i = start;
  let negative = false;
  if (t.charCodeAt(i) == 0x2d) { negative = true; i++; }
  let mantissa: f64 = 0;
  let scale: i32 = 0;
  while (i < end && isDigit(t.charCodeAt(i))) { mantissa = mantissa * 10 + <f64>(t.charCodeAt(i) - 0x30); i++; }
  if (i < end && t.charCodeAt(i) == 0x2e) {
    i++;
    while (i < end && isDigit(t.charCodeAt(i))) { mantissa = mantissa * 10 + <f64>(t.charCodeAt(i) - 0x30); scale--; i++; }
  }
  if (i < end && (t.charCodeAt(i) | 0x20) == 0x65) {
    i++;
    let expNegative = false;
    if (t.charCodeAt(i) == 0x2d) { expNegative = true; i++; } else if (t.charCodeAt(i) == 0x2b) i++;
    let e: i32 = 0;
    while (i < end && isDigit(t.charCodeAt(i))) { if (e < 10000) e = e * 10 + (t.charCodeAt(i) - 0x30); i++; }
    scale += expNegative ? -e : e;
  }
  let v = mantissa;
  // Dividing by an exact power of ten keeps short fractions exact (0.1 is 1 / 10, not 1 * 0.1).
  if (scale < 0) {
    let p: f64 = 1;
    for (let k = 0; k < -scale && k < 400; k++) p *= 10;
    v = p == Infinity ? 0 : v / p;
  } else {
    for (let k = 0; k < scale && v != Infinity; k++) v *= 10;
  }
  return negative ? -v : v;
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

function parseHex4(t: string, at: i32): i32 {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = t.charCodeAt(at + i);
    let d: i32;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}
