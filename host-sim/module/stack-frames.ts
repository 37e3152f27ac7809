/** One wasm frame of a V8 stack: the function's index and the byte offset in the module. */
export interface WasmStackFrame {
  index: number;
  offset: number;
  /** The name V8 printed (from the module's name section), if any. */
  name?: string;
}

const WASM_FRAME = /^(?:\s*at )?(?:(\S.*?) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?\s*$/i;

/**
 * The wasm frames of a trap, innermost first. V8 prints them as
 * "at name (wasm://wasm/1a2b3c4d:wasm-function[12]:0x1f4)", the offset counted from the start of
 * the module (the column DevTools and wasm source maps use); host frames are skipped.
 *
 * The stack is read from V8's call sites, formatted as V8 does by default: a test runner or a
 * source-map hook may have replaced Error.prepareStackTrace with one that rewrites wasm frames.
 * Call this before anything else reads `err.stack` (V8 formats it once, on first read).
 */
export function wasmStackFrames(err: unknown): WasmStackFrame[] {
  if (!(err instanceof Error)) return [];
  let lines: string[] | undefined;
  const prev = Error.prepareStackTrace;
  Error.prepareStackTrace = (e, sites) => {
    lines = sites.map(String);
    return [String(e), ...lines.map((l) => `    at ${l}`)].join('\n');
  };
  try {
    void err.stack;
  } finally {
    Error.prepareStackTrace = prev;
  }
  const frames: WasmStackFrame[] = [];
  for (const line of lines ?? (err.stack ?? '').split('\n')) {
    const m = WASM_FRAME.exec(line);
    if (!m) continue;
    frames.push({ index: Number(m[2]), offset: Number.parseInt(m[3]!, 16), ...(m[1] ? { name: m[1] } : {}) });
  }
  return frames;
}
