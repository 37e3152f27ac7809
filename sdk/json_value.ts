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

/** Lower-case, as toString(16) writes them. No table: a module-level string is data in every module. */
function hexDigit(d: i32): i32 { return d < 10 ? 0x30 + d : 0x61 - 10 + d; }

// Control characters are below 0x20, so their \u escape is "\u00", then "0" or "1", then a hex digit.
function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + String.fromCharCode(0x30 + (c >> 4)) + String.fromCharCode(hexDigit(c & 15));
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}
