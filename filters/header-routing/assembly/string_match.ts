// One string condition from the configuration: {"exact"}, {"prefix"}, {"suffix"}, {"contains"} or
// {"regex"}, optionally {"ignoreCase": true} (not with regex).
import { lower } from "meshwasm/sdk/ascii";
import { JsonValue } from "meshwasm/sdk";
import { Regex, compileRegex, regexError } from "meshwasm/sdk/regex";
import { boolAt, fail, kindName, onlyKeys } from "meshwasm/sdk/config_fields";

const EXACT = 0, PREFIX = 1, SUFFIX = 2, CONTAINS = 3, REGEX = 4;
const KINDS: Array<string> = ["exact", "prefix", "suffix", "contains", "regex"];

export class StringMatch {
  kind: i32 = EXACT;
  value: string = "";
  ignoreCase: bool = false;
  regex: Regex | null = null;

  matches(input: string): bool {
    const s = this.ignoreCase ? lower(input) : input;
    switch (this.kind) {
      case EXACT: return s == this.value;
      case PREFIX: return s.startsWith(this.value);
      case SUFFIX: return s.endsWith(this.value, s.length);
      case CONTAINS: return s.includes(this.value);
      default: return this.regex!.test(s);
    }
  }

  describe(): string { return KINDS[this.kind] + " \"" + this.value + "\""; }
}

/** Parses a string condition; a bare JSON string means exact. Null (and configError) when invalid. */
export function parseStringMatch(v: JsonValue, where: string): StringMatch | null {
  const m = new StringMatch();
  if (v.isString()) { m.value = v.stringValue; return m; }
  if (!v.isObject()) { fail(where, "must be a string or an object like {\"prefix\": \"/api/\"}, got " + kindName(v)); return null; }
  onlyKeys(v, where, ["exact", "prefix", "suffix", "contains", "regex", "ignoreCase"]);
  let found = 0;
  for (let i = 0; i < KINDS.length; i++) {
    const f = v.get(KINDS[i]);
    if (f === null) continue;
    found++;
    if (!f.isString()) { fail(where + "." + KINDS[i], "must be a string, got " + kindName(f)); return null; }
    m.kind = i;
    m.value = f.stringValue;
  }
  if (found != 1) { fail(where, "needs exactly one of exact, prefix, suffix, contains, regex"); return null; }
  m.ignoreCase = boolAt(v, "ignoreCase", where, false);
  if (m.kind == REGEX) {
    if (m.ignoreCase) { fail(where + ".ignoreCase", "is not supported with regex; write the character classes instead"); return null; }
    const re = compileRegex(m.value);
    if (re === null) { fail(where + ".regex", "invalid pattern \"" + m.value + "\": " + regexError); return null; }
    m.regex = re;
  } else if (m.ignoreCase) m.value = lower(m.value);
  return m;
}
