// Source-address conditions. Envoy's `source.address` property is "ip:port" ("[v6]:port" for
// IPv6). IPv4 gets CIDR ranges; IPv6 addresses are compared whole (written as the host prints
// them), which covers loopback and pinned peers without a full IPv6 parser.
import { charIndex, lastCharIndex } from "meshwasm/sdk/ascii";

export class Cidr {
  v4: bool = true;
  addr: u32 = 0;
  mask: u32 = 0;
  text: string = "";

  matches(sourceAddress: string): bool {
    const host = hostOf(sourceAddress);
    if (!this.v4) return host == this.text;
    const ip = parseIpv4(host);
    return ip >= 0 && ((<u32>ip) & this.mask) == this.addr;
  }
}

/** The address part of "ip:port", "[v6]:port" or a bare address. */
export function hostOf(address: string): string {
  if (address.startsWith("[")) {
    const end = charIndex(address, 0x5d, 0);
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = charIndex(address, 0x3a, 0);
  if (colon >= 0 && lastCharIndex(address, 0x3a) == colon) return address.substring(0, colon);
  return address;
}

/** Dotted quad to a number, -1 when malformed. */
export function parseIpv4(s: string): i64 {
  let v: i64 = 0, part: i64 = 0, digits = 0, dots = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e; // the end closes the last part like a dot
    if (c == 0x2e) {
      if (digits == 0 || part > 255 || ++dots > 4) return -1;
      v = (v << 8) | part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      part = part * 10 + (c - 0x30);
      digits++;
    } else return -1;
  }
  return dots == 4 ? v : -1;
}

export function parseCidr(s: string): Cidr | null {
  const c = new Cidr();
  c.text = s;
  const slash = charIndex(s, 0x2f, 0);
  const addr = slash < 0 ? s : s.substring(0, slash);
  const ip = parseIpv4(addr);
  if (ip < 0) {
    // IPv6 (or anything with a colon): whole-address comparison only.
    if (slash >= 0 || charIndex(addr, 0x3a, 0) < 0) return null;
    c.v4 = false;
    c.text = addr.startsWith("[") ? hostOf(addr) : addr;
    return c;
  }
  let bits = 32;
  if (slash >= 0) {
    const b = s.substring(slash + 1, s.length);
    if (b.length == 0 || b.length > 2) return null;
    bits = 0;
    for (let i = 0; i < b.length; i++) {
      const ch = b.charCodeAt(i);
      if (ch < 0x30 || ch > 0x39) return null;
      bits = bits * 10 + (ch - 0x30);
    }
    if (bits > 32) return null;
  }
  c.mask = bits == 0 ? 0 : <u32>(0xffffffff << (32 - bits));
  c.addr = (<u32>ip) & c.mask;
  return c;
}
