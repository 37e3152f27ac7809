// Hooks AssemblyScript's runtime would otherwise import from "env" (abort, trace, seed). The build
// routes them here with `--use abort=...` so a module imports nothing but proxy-wasm and WASI.
import { proxy_log, wasi_random_get } from "./imports";
import { getCurrentTimeNanoseconds } from "./hostcalls";
import { LogLevel } from "./types";
import { formatInt } from "./decimal";
import { utf8 } from "./memory";

/** `abort()` and failed assertions: tell the host what and where, then trap as Envoy expects. */
export function abortHandler(message: string | null = null, fileName: string | null = null, lineNumber: u32 = 0, columnNumber: u32 = 0): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + formatInt(lineNumber) + ":" + formatInt(columnNumber);
  const buf = utf8(text);
  proxy_log(LogLevel.Critical, changetype<usize>(buf), <usize>buf.byteLength);
  unreachable();
}

/** `trace()`: a debug log line with the numbers appended. */
export function traceHandler(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let text = message;
  if (n > 0) text += " " + a0.toString();
  if (n > 1) text += " " + a1.toString();
  if (n > 2) text += " " + a2.toString();
  if (n > 3) text += " " + a3.toString();
  if (n > 4) text += " " + a4.toString();
  const buf = utf8(text);
  proxy_log(LogLevel.Debug, changetype<usize>(buf), <usize>buf.byteLength);
}

const SEED_BUF: usize = memory.data(8);

/** Seed for Math.random: WASI randomness, or the host clock when the host has none. */
export function seedHandler(): f64 {
  if (wasi_random_get(SEED_BUF, 8) == 0) {
    const bits = load<u64>(SEED_BUF);
    if (bits != 0) return <f64>(bits >>> 11);
  }
  return <f64>getCurrentTimeNanoseconds();
}
