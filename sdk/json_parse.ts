// The JSON parser behind parseJson. It reads characters with String#charCodeAt, which answers -1
// past the end, so "is the next character X" needs no separate end-of-text test.
import { formatInt } from "./decimal";
import { JsonValue } from "./json_value";

/** Why the last parseJson returned null: message with the character offset. */
export let jsonError: string = "";

/** Parses JSON text; null on malformed input (see jsonError). */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  p.skipWs();
  let v = p.value(0);
  if (v !== null) {
    p.skipWs();
    if (p.pos < text.length) v = p.fail("unexpected character");
  }
  // Empty when a value was read: fail() is the only writer, and every failure returns null.
  jsonError = p.error;
  return v;
}

const MAX_DEPTH = 64;
const END = -1;

class Parser {
  pos: i32 = 0;
  error: string = "";
  /** The digits of the number being read, as an integer (the decimal point is in `scale`). */
  mantissa: f64 = 0;
  constructor(public text: string) {}

  fail(what: string): JsonValue | null {
    if (this.error.length == 0) this.error = what + " at offset " + formatInt(this.pos);
    return null;
  }

  peek(): i32 { return this.text.charCodeAt(this.pos); }

  skipWs(): void {
    while (true) {
      const c = this.peek();
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.pos++;
    }
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    const c = this.peek();
    if (c == END) return this.fail("unexpected end of input");
    if (c == 0x7b || c == 0x5b) return this.container(depth, c == 0x7b);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : JsonValue.string(s);
    }
    if (c == 0x74 || c == 0x66 || c == 0x6e) {
      if (!this.literal(c == 0x74 ? "true" : c == 0x66 ? "false" : "null")) return this.fail("invalid literal");
      return c == 0x6e ? JsonValue.null() : JsonValue.bool(c == 0x74);
    }
    if (c == 0x2d || isDigit(c)) return this.number();
    return this.fail("unexpected character '" + String.fromCharCode(c, -1) + "'");
  }

  literal(word: string): bool {
    for (let i = 0; i < word.length; i++) {
      if (this.text.charCodeAt(this.pos + i) != word.charCodeAt(i)) return false;
    }
    this.pos += word.length;
    return true;
  }

  /** Reads digits into `mantissa`; how many there were. */
  digits(): i32 {
    const start = this.pos;
    let c = this.peek();
    while (isDigit(c)) {
      this.mantissa = this.mantissa * 10 + <f64>(c - 0x30);
      c = this.text.charCodeAt(++this.pos);
    }
    return this.pos - start;
  }

  // Our own decimal conversion instead of parseFloat: std's strtod and its tables are about a
  // quarter of a small filter's size. Exact for integers up to 2^53 and for the short decimals
  // configurations hold; may differ from strtod in the last bit for long fractions.
  number(): JsonValue | null {
    const negative = this.peek() == 0x2d;
    if (negative) this.pos++;
    this.mantissa = 0;
    // JSON forbids leading zeros: "0" ends the integer part.
    if (this.peek() == 0x30) this.pos++;
    else if (this.digits() == 0) return this.fail("invalid number");
    let scale: i32 = 0;
    if (this.peek() == 0x2e) {
      this.pos++;
      scale = -this.digits();
      if (scale == 0) return this.fail("invalid number");
    }
    if ((this.peek() | 0x20) == 0x65) {
      const expNegative = this.text.charCodeAt(++this.pos) == 0x2d;
      if (expNegative || this.peek() == 0x2b) this.pos++;
      let e: i32 = 0;
      let c = this.peek();
      if (!isDigit(c)) return this.fail("invalid number");
      while (isDigit(c)) {
        if (e < 10000) e = e * 10 + (c - 0x30);
        c = this.text.charCodeAt(++this.pos);
      }
      scale += expNegative ? -e : e;
    }
    const v = scaleByPowerOfTen(this.mantissa, scale);
    return JsonValue.number(negative ? -v : v);
  }

  string(): string | null {
    const t = this.text;
    let out = "";
    let runStart = ++this.pos; // past the opening quote
    while (true) {
      const c = this.peek();
      if (c == END) break;
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x22 || c == 0x5c) {
        // The run so far, then the end of the string or an escape.
        out += t.substring(runStart, this.pos++);
        if (c == 0x22) return out;
        const e = this.peek();
        if (e == END) break;
        let code = e; // \" \\ \/ stand for themselves
        if (e == 0x62) code = 0x08;
        else if (e == 0x66) code = 0x0c;
        else if (e == 0x6e) code = 0x0a;
        else if (e == 0x72) code = 0x0d;
        else if (e == 0x74) code = 0x09;
        else if (e == 0x75) {
          if (this.pos + 4 >= t.length) { this.fail("truncated \\u escape"); return null; }
          code = parseHex4(t, this.pos + 1);
          if (code < 0) { this.fail("invalid \\u escape"); return null; }
          this.pos += 4;
        } else if (e != 0x22 && e != 0x5c && e != 0x2f) { this.fail("invalid escape"); return null; }
        out += String.fromCharCode(code, -1); // \u surrogate halves combine in UTF-16 strings
        runStart = ++this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return null;
  }

  /**
   * An array or an object: one loop for both (less code), an object reading "key": before each
   * value. The errors name the kind being read.
   */
  container(depth: i32, isObject: bool): JsonValue | null {
    this.pos++;
    const result = isObject ? JsonValue.object() : JsonValue.array();
    const close = isObject ? 0x7d : 0x5d;
    this.skipWs();
    if (this.peek() == close) { this.pos++; return result; }
    while (true) {
      this.skipWs();
      let key = "";
      if (isObject) {
        if (this.peek() != 0x22) return this.fail("expected a string key");
        const k = this.string();
        if (k === null) return null;
        key = k;
        this.skipWs();
        if (this.peek() != 0x3a) return this.fail("expected ':'");
        this.pos++;
        this.skipWs();
      }
      const v = this.value(depth + 1);
      if (v === null) return null;
      if (isObject) result.set(key, v);
      else result.push(v);
      this.skipWs();
      const c = this.peek();
      if (c == END) return this.fail(isObject ? "unterminated object" : "unterminated array");
      if (c != 0x2c && c != close) return this.fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'");
      this.pos++;
      if (c == close) return result;
    }
    return null;
  }
}

/** mantissa × 10^scale. Dividing by an exact power of ten keeps short fractions exact (0.1 is 1 / 10, not 1 * 0.1). */
function scaleByPowerOfTen(mantissa: f64, scale: i32): f64 {
  if (scale < 0) {
    let p: f64 = 1;
    for (let k = 0; k < -scale && k < 400; k++) p *= 10;
    return p == Infinity ? 0 : mantissa / p;
  }
  let v = mantissa;
  for (let k = 0; k < scale && v != Infinity; k++) v *= 10;
  return v;
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

function parseHex4(t: string, at: i32): i32 {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = t.charCodeAt(at + i);
    const lower = c | 0x20;
    let d: i32;
    if (isDigit(c)) d = c - 0x30;
    else if (lower >= 0x61 && lower <= 0x66) d = lower - 0x61 + 10;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}
