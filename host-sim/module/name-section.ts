/**
 * Reads function names from a module's "name" custom section, so a trap can be reported as
 * "in function authz::check" rather than "wasm-function[42]".
 */
export function readFunctionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  for (const section of WebAssembly.Module.customSections(module, 'name')) {
    const b = new Uint8Array(section);
    let p = 0;
    const leb = (): number => {
      let result = 0,
        shift = 0,
        byte: number;
      do {
        if (p >= b.length) throw new Error('truncated name section');
        byte = b[p++]!;
        result |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      return result >>> 0;
    };
    try {
      while (p < b.length) {
        const id = b[p++]!;
        const size = leb();
        const end = p + size;
        if (id === 1) {
          const count = leb();
          for (let i = 0; i < count; i++) {
            const idx = leb();
            const len = leb();
            names.set(idx, Buffer.from(b.subarray(p, p + len)).toString('utf8'));
            p += len;
          }
        }
        p = end;
      }
    } catch {
      // A malformed name section only costs us nicer trap messages.
    }
  }
  return names;
}

/**
 * The wasm function a trap happened in, from V8's stack. V8 names the frame itself when the module
 * has a name section ("at validate_token (wasm://wasm/1a2b:1:531)") and falls back to the index
 * otherwise ("wasm-function[12]"), which we name from the section when we can.
 */
export function trapFunction(err: unknown, names: Map<number, string>): string | undefined {
  const stack = (err as Error | undefined)?.stack ?? '';
  for (const line of stack.split('\n')) {
    const byIndex = /wasm-function\[(\d+)\]/.exec(line);
    if (byIndex) {
      const idx = Number(byIndex[1]);
      return names.get(idx) ?? `wasm-function[${idx}]`;
    }
    const byName = /^\s*at (\S+) \(wasm:\/\//.exec(line);
    if (byName) return byName[1];
  }
  return undefined;
}
