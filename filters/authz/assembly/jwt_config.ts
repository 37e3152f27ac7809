// The "jwt" section: where tokens come from, which keys verify them (JWKs: "oct" for HS256,
// "RSA" for RS256, "EC" P-256 for ES256), which claims must hold, and which claims go upstream.
import { lower } from "meshwasm/sdk/ascii";
import { JsonValue, formatInt, utf8 } from "meshwasm/sdk";
import { base64Decode } from "./crypto/base64";
import { RsaPublicKey, rsaKeyError, rsaPublicKey } from "./crypto/rsa";
import { P256PublicKey, p256PublicKey } from "./crypto/p256";
import { arrayAt, boolAt, fail, intAt, objectAt, onlyKeys, stringAt, stringList } from "./fields";

export const HS256 = 0, RS256 = 1, ES256 = 2;
export const ALG_NAMES: Array<string> = ["HS256", "RS256", "ES256"];

export class JwtKey {
  kid: string = "";
  alg: i32 = HS256;
  secret: Uint8Array = new Uint8Array(0);
  rsa: RsaPublicKey | null = null;
  ec: P256PublicKey | null = null;
}

export class JwtConfig {
  header: string = "authorization";
  queryParam: string = "";
  issuers: Array<string> = [];
  audiences: Array<string> = [];
  clockSkewSeconds: i64 = 60;
  requireExp: bool = true;
  forwardToken: bool = false;
  keys: Array<JwtKey> = [];
  claimNames: Array<string> = [];
  claimHeaders: Array<string> = [];
  payloadHeader: string = "";
  /**
   * Tokens that passed every check, with what a request needs from them. A client sends the same
   * token on every request; a hit skips the base64 and JSON decoding as well as the signature, and
   * only exp/nbf are checked again, against the clock of the request. Lives with the
   * configuration, so a reconfiguration (new keys, issuers, claims) starts an empty cache.
   * A plain array searched by `findVerified` rather than a Map: hashing containers cost the
   * module ~1 KB of code, and the module's size is budgeted.
   */
  verified: Array<VerifiedToken> = [];
  /** Where the next token goes once the cache is full: the oldest entry is replaced. */
  nextSlot: i32 = 0;
}

/** What a verified token grants: the forwarded claim values, its time window, its payload text. */
export class VerifiedToken {
  constructor(
    public token: string, public exp: i64, public nbf: i64, public claimValues: Array<string | null>,
    public payloadSegment: string, public sub: string,
  ) {}
}

export const VERIFIED_CACHE_SIZE = 256;
export const MAX_CACHED_TOKEN = 4096;
/** exp/nbf of a token without them: never expires, always valid. */
export const NO_EXP = i64.MAX_VALUE, NO_NBF = i64.MIN_VALUE;

/**
 * The cached entry for exactly `token`, or null. Compared from the end: tokens signed for one
 * issuer share their first few dozen characters (the header), while signatures differ at once.
 */
export function findVerified(c: JwtConfig, token: string): VerifiedToken | null {
  const n = token.length;
  for (let i = 0; i < c.verified.length; i++) {
    const e = c.verified[i];
    const t = e.token;
    if (t.length != n) continue;
    let j = n - 1;
    while (j >= 0 && t.charCodeAt(j) == token.charCodeAt(j)) j--;
    if (j < 0) return e;
  }
  return null;
}

export function rememberVerified(c: JwtConfig, e: VerifiedToken): void {
  // Long tokens are not remembered: the cache must stay small (256 x 4 KB at most).
  if (e.token.length > MAX_CACHED_TOKEN) return;
  if (c.verified.length < VERIFIED_CACHE_SIZE) { c.verified.push(e); return; }
  c.verified[c.nextSlot] = e;
  c.nextSlot = (c.nextSlot + 1) % VERIFIED_CACHE_SIZE;
}

export function parseJwtConfig(v: JsonValue, where: string): JwtConfig {
  const c = new JwtConfig();
  onlyKeys(v, where, ["header", "queryParam", "issuers", "audiences", "clockSkewSeconds", "requireExp", "forwardToken", "keys", "forwardClaims", "forwardPayloadHeader"]);
  c.header = lower(stringAt(v, "header", where, "authorization"));
  c.queryParam = stringAt(v, "queryParam", where, "");
  c.issuers = stringList(v, "issuers", where);
  c.audiences = stringList(v, "audiences", where);
  c.clockSkewSeconds = intAt(v, "clockSkewSeconds", where, 60, 0, 3600);
  c.requireExp = boolAt(v, "requireExp", where, true);
  c.forwardToken = boolAt(v, "forwardToken", where, false);
  c.payloadHeader = lower(stringAt(v, "forwardPayloadHeader", where, ""));
  const claims = objectAt(v, "forwardClaims", where);
  if (claims !== null) {
    for (let i = 0; i < claims.keys.length; i++) {
      const h = claims.get(claims.keys[i])!;
      if (!h.isString() || h.stringValue.length == 0) { fail(where + ".forwardClaims." + claims.keys[i], "must be a header name"); continue; }
      c.claimNames.push(claims.keys[i]);
      c.claimHeaders.push(lower(h.stringValue));
    }
  }
  const keys = arrayAt(v, "keys", where);
  if (keys.length == 0) fail(where + ".keys", "must list at least one key");
  for (let i = 0; i < keys.length; i++) {
    const k = parseKey(keys[i], where + ".keys[" + formatInt(i) + "]");
    if (k !== null) c.keys.push(k);
  }
  return c;
}

function b64Field(k: JsonValue, name: string, where: string): Uint8Array | null {
  const s = stringAt(k, name, where, "");
  if (s.length == 0) { fail(where + "." + name, "is required"); return null; }
  const b = base64Decode(s);
  if (b === null) fail(where + "." + name, "is not base64url");
  return b;
}

function parseKey(k: JsonValue, where: string): JwtKey | null {
  if (!k.isObject()) { fail(where, "must be a JWK object"); return null; }
  const key = new JwtKey();
  key.kid = stringAt(k, "kid", where, "");
  // A plain shared secret, for configurations written by hand.
  const secret = stringAt(k, "secret", where, "");
  const kty = stringAt(k, "kty", where, secret.length > 0 ? "oct" : "");
  const alg = stringAt(k, "alg", where, kty == "oct" ? "HS256" : kty == "RSA" ? "RS256" : kty == "EC" ? "ES256" : "");
  const algIndex = ALG_NAMES.indexOf(alg);
  if (algIndex < 0) { fail(where + ".alg", "must be HS256, RS256 or ES256 (got \"" + alg + "\")"); return null; }
  key.alg = algIndex;
  if (kty == "oct") {
    if (algIndex != HS256) { fail(where + ".alg", "an \"oct\" key can only be HS256"); return null; }
    if (secret.length > 0) key.secret = Uint8Array.wrap(utf8(secret), 0, -1);
    else {
      const b = b64Field(k, "k", where);
      if (b === null) return null;
      key.secret = b;
    }
    if (key.secret.length < 32) { fail(where, "HS256 secret must be at least 32 bytes"); return null; }
  } else if (kty == "RSA") {
    if (algIndex != RS256) { fail(where + ".alg", "an \"RSA\" key can only be RS256 here"); return null; }
    const n = b64Field(k, "n", where), e = b64Field(k, "e", where);
    if (n === null || e === null) return null;
    key.rsa = rsaPublicKey(n, e);
    if (key.rsa === null) { fail(where, "unusable RSA key: " + rsaKeyError); return null; }
  } else if (kty == "EC") {
    if (algIndex != ES256) { fail(where + ".alg", "an \"EC\" key can only be ES256 here"); return null; }
    const crv = stringAt(k, "crv", where, "");
    if (crv != "P-256") { fail(where + ".crv", "must be \"P-256\" (got \"" + crv + "\")"); return null; }
    const x = b64Field(k, "x", where), y = b64Field(k, "y", where);
    if (x === null || y === null) return null;
    key.ec = p256PublicKey(x, y);
    if (key.ec === null) { fail(where, "x/y is not a point on P-256"); return null; }
  } else {
    fail(where + ".kty", "must be \"oct\", \"RSA\" or \"EC\" (got \"" + kty + "\")");
    return null;
  }
  return key;
}
