// Builds one JSON object on a single line (the access log), escaping as RFC 8259 requires.
// Written as UTF-8 straight into one buffer that lives as long as the VM and is reused for every
// line: no string per field, no join, no UTF-8 copy before proxy_log. Building the line from
// concatenated strings cost 18 µs of telemetry's on_log (docs/BENCHMARKS.md, issue 19).
import { LogLevel } from "meshwasm/sdk";
import { logUtf8 } from "meshwasm/sdk/log";

// Unmanaged: the collector never visits or frees it; it only grows, to the longest line so far.
let base: usize = 0;
let capacity: usize = 0;

export class JsonLine {
  private at: usize = 0;

  /** Starts a new line ("{"), reusing the buffer of the last one. */
  begin(): void {
    this.ensure(64);
    this.at = base;
    store<u8>(this.at++, 0x7b);
  }

  str(key: string, value: string): void {
    this.key(key);
    this.quoted(value);
  }

  num(key: string, value: i64): void {
    this.key(key);
    this.ensure(20);
    let magnitude = value < 0 ? <u64>-value : <u64>value;
    if (value < 0) store<u8>(this.at++, 0x2d);
    let count: usize = 1;
    for (let rest = magnitude; rest >= 10; rest /= 10) count++;
    let p = this.at + count;
    do {
      store<u8>(--p, <u8>(0x30 + <u32>(magnitude % 10)));
      magnitude /= 10;
    } while (magnitude != 0);
    this.at += count;
  }

  nul(key: string): void {
    this.key(key);
    this.ascii("null");
  }

  /** Ends the line ("}") and hands it to the host's log at `level`. */
  log(level: LogLevel): void {
    this.ensure(1);
    store<u8>(this.at++, 0x7d);
    logUtf8(level, base, this.at - base);
  }

  /** The line as a string (tests and callers that need the text). */
  toString(): string {
    return String.UTF8.decodeUnsafe(base, this.at - base, false) + "}";
  }

  private key(key: string): void {
    // Field names are ASCII (the configuration checks them), so no escaping is needed.
    this.ensure(<usize>key.length + 4);
    if (this.at > base + 1) store<u8>(this.at++, 0x2c);
    store<u8>(this.at++, 0x22);
    this.ascii(key);
    store<u8>(this.at++, 0x22);
    store<u8>(this.at++, 0x3a);
  }

  private ascii(s: string): void {
    this.ensure(<usize>s.length);
    for (let i = 0; i < s.length; i++) store<u8>(this.at++, <u8>s.charCodeAt(i));
  }

  /**
   * `s` in quotes: runs that need no escape go through the UTF-8 encoder in one piece (surrogate
   * pairs never straddle an escaped character, which are all ASCII); `"`, `\` and controls are escaped.
   */
  private quoted(s: string): void {
    const n = s.length;
    this.ensure(<usize>n * 6 + 2); // the worst case: every code unit a \u00XX escape
    store<u8>(this.at++, 0x22);
    let run = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
      this.encode(s, run, i);
      run = i + 1;
      store<u8>(this.at++, 0x5c);
      if (c == 0x22 || c == 0x5c) store<u8>(this.at++, <u8>c);
      else if (c == 0x0a) store<u8>(this.at++, 0x6e);
      else if (c == 0x0d) store<u8>(this.at++, 0x72);
      else if (c == 0x09) store<u8>(this.at++, 0x74);
      else {
        this.ascii("u00");
        store<u8>(this.at++, <u8>(0x30 + (c >> 4))); // c < 0x20: 0 or 1
        store<u8>(this.at++, <u8>((c & 15) < 10 ? 0x30 + (c & 15) : 0x57 + (c & 15)));
      }
    }
    this.encode(s, run, n);
    store<u8>(this.at++, 0x22);
  }

  private encode(s: string, from: i32, to: i32): void {
    if (to <= from) return;
    this.at += String.UTF8.encodeUnsafe(changetype<usize>(s) + (<usize>from << 1), to - from, this.at, false, String.UTF8.ErrorMode.WTF8);
  }

  /** Room for `bytes` more; the buffer moves when it grows, so positions are kept as offsets. */
  private ensure(bytes: usize): void {
    const used = this.at - base;
    if (base != 0 && used + bytes <= capacity) return;
    let size = capacity < 512 ? <usize>512 : capacity;
    while (size < used + bytes) size <<= 1;
    const grown = heap.alloc(size);
    if (base != 0) { memory.copy(grown, base, used); heap.free(base); }
    base = grown;
    capacity = size;
    this.at = base + used;
  }
}
