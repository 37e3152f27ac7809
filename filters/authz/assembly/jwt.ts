// JWT (RFC 7519) checks for one request: compact JWS parsing, signature under a configured key
// of the token's own algorithm (never "none", never a key of another type: no algorithm
// confusion), then exp/nbf with clock skew, iss and aud.
import { JsonValue, getCurrentTimeNanoseconds, parseJson, formatInt } from "meshwasm/sdk";
import { join } from "meshwasm/sdk/join";
import { charIndex } from "meshwasm/sdk/ascii";
import { base64Decode, base64DecodeString } from "./crypto/base64";
import { constantTimeEqual, hmacSha256, sha256String } from "./crypto/sha256";
import { rsaVerifySha256 } from "./crypto/rsa";
import { p256VerifySha256 } from "./crypto/p256";
import { ALG_NAMES, ES256, HS256, JwtConfig, NO_EXP, NO_NBF, VerifiedToken, findVerified, rememberVerified } from "./jwt_config";

export class JwtResult {
  /** The verified token, null when it failed. */
  token: VerifiedToken | null = null;
  /** Why it failed, for logs and the WWW-Authenticate error_description. */
  reason: string = "";
  /** Whether the answer came from the cache of verified tokens (for the debug log). */
  cached: bool = false;
}

function failed(reason: string): JwtResult {
  const r = new JwtResult();
  r.reason = reason;
  return r;
}

/** The time checks, against now: run on every request, the cached ones included. */
function inWindow(c: JwtConfig, e: VerifiedToken, cached: bool): JwtResult {
  const now = <i64>(getCurrentTimeNanoseconds() / 1000000000);
  if (e.exp != NO_EXP && now > e.exp + c.clockSkewSeconds) return failed("Jwt is expired");
  if (e.nbf != NO_NBF && now + c.clockSkewSeconds < e.nbf) return failed("Jwt not yet valid");
  const r = new JwtResult();
  r.token = e;
  r.cached = cached;
  return r;
}

export function verifyJwt(c: JwtConfig, token: string): JwtResult {
  const known = findVerified(c, token);
  if (known !== null) return inWindow(c, known, true);
  const dot1 = charIndex(token, 0x2e, 0);
  const dot2 = dot1 < 0 ? -1 : charIndex(token, 0x2e, dot1 + 1);
  if (dot1 < 0 || dot2 < 0 || charIndex(token, 0x2e, dot2 + 1) >= 0) return failed("Jwt is not in the form of Header.Payload.Signature");
  const headerText = base64DecodeString(token.substring(0, dot1));
  if (headerText === null) return failed("Jwt header is not base64url");
  const header = parseJson(headerText);
  if (header === null || !header.isObject()) return failed("Jwt header is not a JSON object");
  if (header.has("crit")) return failed("Jwt has critical extensions");
  const alg = header.getString("alg", "");
  const algIndex = ALG_NAMES.indexOf(alg);
  if (algIndex < 0) return failed("Jwt algorithm \"" + alg + "\" is not accepted");
  const kid = header.getString("kid", "");
  const sig = base64Decode(token.substring(dot2 + 1, token.length));
  if (sig === null) return failed("Jwt signature is not base64url");

  const signingInput = token.substring(0, dot2);
  let verified = false;
  let candidates = 0;
  let hash: Uint8Array | null = null;
  for (let i = 0; i < c.keys.length && !verified; i++) {
    const key = c.keys[i];
    if (key.alg != algIndex) continue;
    if (kid.length > 0 && key.kid.length > 0 && key.kid != kid) continue;
    candidates++;
    if (algIndex == HS256) {
      verified = constantTimeEqual(hmacSha256(key.secret, signingInput), sig);
    } else {
      if (hash === null) hash = sha256String(signingInput);
      const rsa = key.rsa, ec = key.ec; // set for RS256 and ES256 keys by parseKey
      if (rsa !== null) verified = rsaVerifySha256(rsa, hash, sig);
      else if (ec !== null) verified = p256VerifySha256(ec, hash, sig);
    }
  }
  if (candidates == 0) return failed("Jwt has no matching key (alg " + alg + (kid.length > 0 ? ", kid \"" + kid + "\")" : ")"));
  if (!verified) return failed("Jwt verification fails");

  const payloadSegment = token.substring(dot1 + 1, dot2);
  const payloadText = base64DecodeString(payloadSegment);
  if (payloadText === null) return failed("Jwt payload is not base64url");
  const payload = parseJson(payloadText);
  if (payload === null || !payload.isObject()) return failed("Jwt payload is not a JSON object");

  let expAt = NO_EXP, nbfAt = NO_NBF;
  const exp = payload.get("exp");
  if (exp !== null) {
    if (!exp.isNumber()) return failed("Jwt exp is not a number");
    expAt = <i64>exp.numberValue;
  } else if (c.requireExp) return failed("Jwt has no exp claim");
  const nbf = payload.get("nbf");
  if (nbf !== null) {
    if (!nbf.isNumber()) return failed("Jwt nbf is not a number");
    nbfAt = <i64>nbf.numberValue;
  }
  const e = new VerifiedToken(token, expAt, nbfAt, new Array<string | null>(), payloadSegment, payload.getString("sub", ""));
  // Not remembered when outside its window now: such a token fails before iss/aud, as it always did.
  const r = inWindow(c, e, false);
  if (r.token === null) return r;
  if (c.issuers.length > 0 && !c.issuers.includes(payload.getString("iss", ""))) return failed("Jwt issuer is not configured");
  if (c.audiences.length > 0) {
    const aud = payload.get("aud");
    let match = false;
    if (aud !== null && aud.isString()) match = c.audiences.includes(aud.stringValue);
    else if (aud !== null && aud.isArray()) {
      for (let i = 0; i < aud.items.length && !match; i++) match = aud.items[i].isString() && c.audiences.includes(aud.items[i].stringValue);
    }
    if (!match) return failed("Audiences in Jwt are not allowed");
  }
  for (let n = 0; n < c.claimNames.length; n++) {
    const v = payload.get(c.claimNames[n]);
    e.claimValues.push(v !== null ? claimHeaderValue(v) : null);
  }
  rememberVerified(c, e);
  return r;
}

/**
 * A claim as a header value: strings as they are, arrays of strings comma-joined, others as JSON.
 * Control characters become spaces: a claim must not be able to smuggle a header line.
 */
export function claimHeaderValue(v: JsonValue): string {
  return sanitize(rawClaimValue(v));
}

function sanitize(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 0x20 || c == 0x7f) { clean = false; break; } }
  if (clean) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); out += c < 0x20 || c == 0x7f ? " " : s.charAt(i); }
  return out;
}

function rawClaimValue(v: JsonValue): string {
  if (v.isString()) return v.stringValue;
  if (v.isArray()) {
    let all = true;
    for (let i = 0; i < v.items.length; i++) if (!v.items[i].isString()) { all = false; break; }
    if (all) {
      const parts = new Array<string>();
      for (let i = 0; i < v.items.length; i++) parts.push(v.items[i].stringValue);
      return join(parts, ",");
    }
  }
  return toJson(v);
}

/** JSON text of a claim value; integers only for numbers, which is what JWT claims carry. */
function toJson(v: JsonValue): string {
  if (v.isString()) return "\"" + v.stringValue + "\"";
  if (v.isBool()) return v.boolValue ? "true" : "false";
  if (v.isNumber()) return formatInt(<i64>v.numberValue);
  if (v.isArray()) {
    const parts = new Array<string>();
    for (let i = 0; i < v.items.length; i++) parts.push(toJson(v.items[i]));
    return "[" + join(parts, ",") + "]";
  }
  if (v.isObject()) {
    const parts = new Array<string>();
    for (let i = 0; i < v.keys.length; i++) parts.push("\"" + v.keys[i] + "\":" + toJson(v.get(v.keys[i])!));
    return "{" + join(parts, ",") + "}";
  }
  return "null";
}
