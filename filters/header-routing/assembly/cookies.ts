// Cookie values from the request's Cookie header(s) (RFC 6265 section 5.4: "a=1; b=2").
import { requestHeaders } from "meshwasm/sdk";
import { charIndex } from "meshwasm/sdk/ascii";

export function cookieValue(name: string): string | null {
  // HTTP/2 may split cookies over several header values: read every "cookie" value (and only those).
  // Most requests carry none: one value lookup answers that more cheaply than the host's whole map.
  if (!requestHeaders.has("cookie")) return null;
  const all = requestHeaders.values("cookie");
  for (let i = 0; i < all.length; i++) {
    const v = findCookie(all[i], name);
    if (v !== null) return v;
  }
  return null;
}

function findCookie(header: string, name: string): string | null {
  let start = 0;
  while (start < header.length) {
    let end = charIndex(header, 0x3b, start);
    if (end < 0) end = header.length;
    while (start < end && header.charCodeAt(start) == 0x20) start++;
    const eq = charIndex(header, 0x3d, start);
    if (eq > 0 && eq < end && header.substring(start, eq) == name) {
      let value = header.substring(eq + 1, end);
      while (value.length > 0 && value.charCodeAt(value.length - 1) == 0x20) value = value.substring(0, value.length - 1);
      if (value.length >= 2 && value.startsWith("\"") && value.endsWith("\"", value.length)) value = value.substring(1, value.length - 1);
      return value;
    }
    start = end + 1;
  }
  return null;
}
