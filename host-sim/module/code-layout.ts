// Where each function's body lies in a module's code section, so a byte offset V8 reports for a
// wasm frame can be placed in its function. Only the import and code sections are read.

export interface CodeLayout {
  /** Imported functions come first in the function index space. */
  importedFunctions: number;
  /** Body of defined function i (function index importedFunctions + i): [start, end) in the module. */
  bodies: { start: number; end: number }[];
}

export function codeLayout(bytes: Uint8Array): CodeLayout {
  let p = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (p >= bytes.length) throw new Error('truncated module');
      byte = bytes[p++]!;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  const skipName = () => {
    const n = leb();
    p += n;
  };
  const skipLimits = () => {
    const flags = leb();
    leb();
    if (flags & 1) leb();
  };
  let importedFunctions = 0;
  const bodies: CodeLayout['bodies'] = [];
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let i = leb(); i > 0; i--) {
        skipName();
        skipName();
        const kind = bytes[p++]!;
        if (kind === 0) {
          leb();
          importedFunctions++;
        } else if (kind === 1) {
          p++; // reference type
          skipLimits();
        } else if (kind === 2) skipLimits();
        else if (kind === 3)
          p += 2; // value type, mutability
        else if (kind === 4) {
          p++; // tag attribute
          leb();
        } else break;
      }
    } else if (id === 10) {
      for (let i = leb(); i > 0; i--) {
        const len = leb();
        bodies.push({ start: p, end: p + len });
        p += len;
      }
    }
    p = end;
  }
  return { importedFunctions, bodies };
}
