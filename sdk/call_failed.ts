// The abort for a host call that failed in a way only a misuse of the ABI explains (wrong
// callback, unknown id): one copy for hostcalls.ts and header_value.ts, so a module pays for the
// message-building code once.
import { statusName } from "./types";

export function callFailed(call: string, status: u32): void {
  // The abort handler (runtime.ts) logs the message at critical level, then traps.
  abort(call + " failed: " + statusName(status));
}
