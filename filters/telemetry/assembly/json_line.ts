// Builds one JSON object on a single line (the access log), escaping as RFC 8259 requires.
import { formatInt } from "meshwasm/sdk";

const HEX = "0123456789abcdef";

export class JsonLine {
  private parts: Array<string> = new Array<string>();

  str(key: string, value: string): void { this.parts.push(quote(key) + ":" + quote(value)); }
  num(key: string, value: i64): void { this.parts.push(quote(key) + ":" + formatInt(value)); }
  nul(key: string): void { this.parts.push(quote(key) + ":null"); }
  toString(): string { return "{" + this.parts.join(",") + "}"; }
}

export function quote(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5c) { clean = false; break; }
  }
  if (clean) return "\"" + s + "\"";
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else out += s.charAt(i);
  }
  return out + "\"";
}
