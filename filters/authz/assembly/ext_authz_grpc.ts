// Envoy's gRPC external authorization, spoken from inside the module: a CheckRequest
// (envoy/service/auth/v3/external_auth.proto, attribute_context.proto) with the attributes
// Envoy's ext_authz filter sends for a request (source and destination addresses, method, path,
// host, scheme, protocol, request headers), and the parts of a CheckResponse that decide
// (status.code, denied_response, ok_response headers). A tiny protobuf writer and reader instead
// of generated code keeps the module small; field numbers are from those protos.
import { HeaderPair, Headers, requestHeaders, getPropertyString, utf8 } from "meshwasm/sdk";
import { lastCharIndex, parseDecimal } from "meshwasm/sdk/ascii";

class Writer {
  // A plain ArrayBuffer grown by copying: less code than a Uint8Array and its set().
  buf: ArrayBuffer = new ArrayBuffer(64);
  len: i32 = 0;

  private byte(b: u8): void {
    if (this.len == this.buf.byteLength) {
      const bigger = new ArrayBuffer(this.len * 2);
      memory.copy(changetype<usize>(bigger), changetype<usize>(this.buf), <usize>this.len);
      this.buf = bigger;
    }
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, b);
    this.len++;
  }

  varint(v: u64): void {
    while (v >= 0x80) { this.byte(<u8>(v & 0x7f) | 0x80); v >>= 7; }
    this.byte(<u8>v);
  }

  private bytesAt(field: u32, ptr: usize, n: i32): void {
    if (n == 0) return;
    this.varint((<u64>field << 3) | 2);
    this.varint(<u64>n);
    for (let i = 0; i < n; i++) this.byte(load<u8>(ptr + <usize>i));
  }

  /** A nested message (skipped when empty, as proto3 writes nothing for it). */
  raw(field: u32, inner: Writer): void {
    this.bytesAt(field, changetype<usize>(inner.buf), inner.len);
  }

  str(field: u32, s: string): void {
    const b = utf8(s);
    this.bytesAt(field, changetype<usize>(b), b.byteLength);
  }

  uint(field: u32, v: u64): void {
    if (v == 0) return;
    this.varint(<u64>field << 3);
    this.varint(v);
  }
}

/** SocketAddress inside Address inside Peer, from Envoy's "ip:port" attribute. */
function peer(address: string | null): Writer {
  const w = new Writer();
  if (address === null) return w;
  const colon = lastCharIndex(address, 0x3a);
  const sock = new Writer();
  sock.str(2, colon < 0 ? address : address.substring(0, colon));
  if (colon >= 0) {
    const port = parseDecimal(address.substring(colon + 1, address.length));
    if (port > 0) sock.uint(3, <u64>port);
  }
  const addr = new Writer();
  addr.raw(1, sock); // Address.socket_address
  w.raw(1, addr); // Peer.address
  return w;
}

/** The CheckRequest for the current request, serialized. */
export function checkRequest(): ArrayBuffer {
  const http = new Writer();
  const all = requestHeaders.all();
  let method = "", path = "", host = "", scheme = "http";
  for (let i = 0; i < all.length; i++) {
    const k = all[i].key, v = all[i].value;
    if (k == ":method") method = v;
    else if (k == ":path") path = v;
    else if (k == ":authority") host = v;
    else if (k == ":scheme") scheme = v;
  }
  const id = requestHeaders.get("x-request-id");
  if (id !== null) http.str(1, id);
  http.str(2, method);
  for (let i = 0; i < all.length; i++) {
    // map<string, string> headers = 3: one entry message per header, pseudo-headers included as Envoy sends them.
    const entry = new Writer();
    entry.str(1, all[i].key);
    entry.str(2, all[i].value);
    http.raw(3, entry);
  }
  http.str(4, path);
  http.str(5, host);
  http.str(6, scheme);
  http.str(10, "HTTP/1.1");
  const request = new Writer();
  request.raw(2, http); // AttributeContext.Request.http
  const attributes = new Writer();
  attributes.raw(1, peer(getPropertyString("source.address")));
  attributes.raw(2, peer(getPropertyString("destination.address")));
  attributes.raw(4, request);
  const check = new Writer();
  check.raw(1, attributes); // CheckRequest.attributes
  return check.buf.slice(0, check.len);
}

class Reader {
  pos: i32 = 0;
  ok: bool = true;
  // The bytes as a plain ArrayBuffer read with load<u8>: every read is before `end` (the buffer's length or less).
  constructor(public b: ArrayBuffer, public end: i32) {}

  varint(): u64 {
    let v: u64 = 0, shift: u64 = 0;
    while (this.pos < this.end && shift < 64) {
      const byte = load<u8>(changetype<usize>(this.b) + <usize>this.pos);
      this.pos++;
      v |= (<u64>(byte & 0x7f)) << shift;
      if ((byte & 0x80) == 0) return v;
      shift += 7;
    }
    this.ok = false;
    return 0;
  }

  /** Skips a field of wire type `t`; false when the bytes are malformed. */
  skip(t: u32): void {
    if (t == 0) this.varint();
    else if (t == 1) this.pos += 8;
    else if (t == 2) this.pos += <i32>this.varint();
    else if (t == 5) this.pos += 4;
    else this.ok = false;
    if (this.pos > this.end) this.ok = false;
  }

  /** Reads a length prefix and returns the end of that nested message. */
  nested(): i32 {
    const n = <i32>this.varint();
    const end = this.pos + n;
    if (end > this.end) { this.ok = false; return this.pos; }
    return end;
  }

  text(end: i32): string {
    const s = String.UTF8.decodeUnsafe(changetype<usize>(this.b) + <usize>this.pos, <usize>(end - this.pos));
    this.pos = end;
    return s;
  }
}

export class CheckResult {
  /** google.rpc.Status code: 0 allows. */
  code: u32 = 0;
  /** denied_response.status.code, 0 when absent (Envoy then answers 403). */
  httpStatus: u32 = 0;
  body: string = "";
  /** denied_response headers (onto the reply) or ok_response headers (onto the request). */
  headers: Headers = [];
  /** The bytes were not a CheckResponse. */
  malformed: bool = false;
}

function headerOptions(r: Reader, end: i32, out: Headers): void {
  // HeaderValueOption { HeaderValue header = 1 { key = 1; value = 2 } }
  while (r.ok && r.pos < end) {
    const key = <u32>r.varint();
    if (key >> 3 != 1 || (key & 7) != 2) { r.skip(key & 7); continue; }
    const hEnd = r.nested();
    let k = "", v = "";
    while (r.ok && r.pos < hEnd) {
      const f = <u32>r.varint();
      if ((f & 7) != 2) { r.skip(f & 7); continue; }
      const e = r.nested();
      if (f >> 3 == 1) k = r.text(e); else if (f >> 3 == 2) v = r.text(e); else r.pos = e;
    }
    if (k.length > 0) out.push(new HeaderPair(k.toLowerCase(), v));
  }
}

/** Reads a CheckResponse. */
export function checkResponse(bytes: ArrayBuffer): CheckResult {
  const res = new CheckResult();
  const r = new Reader(bytes, bytes.byteLength);
  while (r.ok && r.pos < r.end) {
    const key = <u32>r.varint();
    const field = key >> 3, t = key & 7;
    if (t != 2 || field < 1 || field > 3) { r.skip(t); continue; }
    const end = r.nested();
    while (r.ok && r.pos < end) {
      const k = <u32>r.varint();
      const f = k >> 3, ft = k & 7;
      if (field == 1 && f == 1 && ft == 0) res.code = <u32>r.varint(); // status.code
      else if (field == 2 && f == 1 && ft == 2) {
        // denied_response.status: HttpStatus { code = 1 }
        const e = r.nested();
        while (r.ok && r.pos < e) {
          const sk = <u32>r.varint();
          if (sk == 8) res.httpStatus = <u32>r.varint(); else r.skip(sk & 7);
        }
      } else if ((field == 2 || field == 3) && f == 2 && ft == 2) headerOptions(r, r.nested(), res.headers);
      else if (field == 2 && f == 3 && ft == 2) res.body = r.text(r.nested());
      else r.skip(ft);
    }
    r.pos = end;
  }
  res.malformed = !r.ok;
  return res;
}
