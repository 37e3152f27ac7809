// First matching rule for the current request: every condition a rule lists must hold.
import { charIndex, lastCharIndex, lower } from "meshwasm/sdk/ascii";
import { getPropertyString, requestHeaders } from "meshwasm/sdk";
import { AuthzConfig, Rule, RuleMatch } from "./config";

function pathOnly(path: string): string {
  const q = charIndex(path, 0x3f, 0);
  return q < 0 ? path : path.substring(0, q);
}

function hostOnly(authority: string): string {
  // "host:port" -> "host"; IPv6 literals keep their brackets.
  const close = lastCharIndex(authority, 0x5d);
  const colon = lastCharIndex(authority, 0x3a);
  return lower((colon > close ? authority.substring(0, colon) : authority));
}

function hostMatches(patterns: Array<string>, host: string): bool {
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i];
    if (p == host || p == "*") return true;
    if (p.startsWith("*.") && host.endsWith(p.substring(1, p.length), host.length)) return true;
  }
  return false;
}

// The request's method, path (without query) and host, each read from the host at most once per
// request however many rules look at it: a read is a host call and a new string. Reset by findRule.
let method: string | null = null, path: string | null = null, host: string | null = null;
let haveMethod = false, havePath = false, haveHost = false;

function matches(m: RuleMatch): bool {
  if (m.methods.length > 0) {
    if (!haveMethod) { method = requestHeaders.get(":method"); haveMethod = true; }
    const v = method;
    if (v === null || !m.methods.includes(v)) return false;
  }
  const pathMatch = m.path;
  if (pathMatch !== null) {
    if (!havePath) { const p = requestHeaders.get(":path"); path = p === null ? null : pathOnly(p); havePath = true; }
    const v = path;
    if (v === null || !pathMatch.matches(v)) return false;
  }
  if (m.hosts.length > 0) {
    if (!haveHost) { const a = requestHeaders.get(":authority"); host = a === null ? null : hostOnly(a); haveHost = true; }
    const v = host;
    if (v === null || !hostMatches(m.hosts, v)) return false;
  }
  for (let i = 0; i < m.headers.length; i++) {
    const h = m.headers[i];
    const v = requestHeaders.get(h.name);
    if (h.present == 0) { if (v !== null) return false; continue; }
    if (v === null) return false;
    const value = h.value;
    if (value !== null && !value.matches(v)) return false;
  }
  if (m.sources.length > 0) {
    const addr = getPropertyString("source.address");
    if (addr === null) return false;
    let any = false;
    for (let i = 0; i < m.sources.length && !any; i++) any = m.sources[i].matches(addr);
    if (!any) return false;
  }
  if (m.principals.length > 0) {
    // Envoy's attribute for the peer's URI SAN; Istio's SPIFFE identity lives there under mTLS.
    const p = getPropertyString("connection.uri_san_peer_certificate");
    if (p === null || p.length == 0) return false;
    let any = false;
    for (let i = 0; i < m.principals.length && !any; i++) any = m.principals[i].matches(p);
    if (!any) return false;
  }
  return true;
}

export function findRule(c: AuthzConfig): Rule | null {
  haveMethod = havePath = haveHost = false;
  for (let i = 0; i < c.rules.length; i++) if (matches(c.rules[i].match)) return c.rules[i];
  return null;
}
