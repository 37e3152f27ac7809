// API keys: taken from a header or a query parameter and looked up by their SHA-256, so the
// configuration may hold either the keys or only their hashes (`sha256sum`-style hex).
import { lower } from "meshwasm/sdk/ascii";
import { JsonValue, formatInt } from "meshwasm/sdk";
import { sha256String } from "./crypto/sha256";
import { toHex } from "./crypto/base64";
import { arrayAt, fail, onlyKeys, stringAt } from "./fields";

export class ApiKeyConfig {
  header: string = "x-api-key";
  queryParam: string = "";
  /** Header naming the matched key's owner, added for the upstream ("" for none). */
  forwardNameHeader: string = "x-api-key-name";
  /** sha256 hex of each key, and its name at the same index. Arrays rather than a Map: a
   * hashing container costs the module ~1 KB of code, and configurations list few keys. */
  hashes: Array<string> = [];
  names: Array<string> = [];
}

export function parseApiKeyConfig(v: JsonValue, where: string): ApiKeyConfig {
  const c = new ApiKeyConfig();
  onlyKeys(v, where, ["header", "queryParam", "forwardNameHeader", "keys"]);
  c.header = lower(stringAt(v, "header", where, "x-api-key"));
  c.queryParam = stringAt(v, "queryParam", where, "");
  c.forwardNameHeader = lower(stringAt(v, "forwardNameHeader", where, "x-api-key-name"));
  const keys = arrayAt(v, "keys", where);
  if (keys.length == 0) fail(where + ".keys", "must list at least one key");
  for (let i = 0; i < keys.length; i++) {
    const w = where + ".keys[" + formatInt(i) + "]";
    const k = keys[i];
    if (!k.isObject()) { fail(w, "must be an object"); continue; }
    onlyKeys(k, w, ["name", "key", "sha256"]);
    const name = stringAt(k, "name", w, "key-" + formatInt(i));
    const plain = stringAt(k, "key", w, "");
    let hash = lower(stringAt(k, "sha256", w, ""));
    if ((plain.length == 0) == (hash.length == 0)) { fail(w, "needs exactly one of \"key\" and \"sha256\""); continue; }
    if (plain.length > 0) hash = toHex(sha256String(plain));
    else if (hash.length != 64 || !isHex(hash)) { fail(w + ".sha256", "must be 64 hex digits"); continue; }
    const at = c.hashes.indexOf(hash);
    if (at >= 0) c.names[at] = name; // the same key listed twice: the later name wins
    else { c.hashes.push(hash); c.names.push(name); }
  }
  return c;
}

function isHex(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** The name of the key presented, or null when it is missing or unknown. */
export function checkApiKey(c: ApiKeyConfig, presented: string): string | null {
  const hash = toHex(sha256String(presented));
  const at = c.hashes.indexOf(hash);
  return at >= 0 ? c.names[at] : null;
}
