import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A wasm module's source map (Source Map v3, as asc writes for a debug build): one generated
// "line" whose columns are byte offsets into the module. V8 names a wasm frame by that same byte
// offset ("wasm-function[12]:0x1a2b"), so a trap's frames map to .ts positions by lookup. This is
// the convention DevTools follows for wasm (and V8's wasm debugging: src/wasm/wasm-debug.cc).

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A position in the filter's source, 1-based line and column as editors count. */
export interface SourcePosition {
  source: string;
  line: number;
  column: number;
}

export class WasmSourceMap {
  /** Offsets ascending, with the position each one starts. */
  private constructor(
    private readonly offsets: number[],
    private readonly positions: SourcePosition[],
  ) {}

  /** Decodes a map's JSON text; undefined when it is not a Source Map v3 with mappings. */
  static parse(text: string): WasmSourceMap | undefined {
    let map: { sources?: unknown; mappings?: unknown };
    try {
      map = JSON.parse(text) as typeof map;
    } catch {
      return undefined;
    }
    if (!Array.isArray(map.sources) || typeof map.mappings !== 'string') return undefined;
    const sources = map.sources.map(String);
    const offsets: number[] = [];
    const positions: SourcePosition[] = [];
    let col = 0;
    let src = 0;
    let line = 0;
    let srcCol = 0;
    for (const segment of map.mappings.split(/[,;]/)) {
      if (!segment) continue;
      const v = decodeVlq(segment);
      col += v[0] ?? 0;
      if (v.length < 4) continue;
      src += v[1]!;
      line += v[2]!;
      srcCol += v[3]!;
      const source = sources[src];
      if (source === undefined) continue;
      offsets.push(col);
      positions.push({ source, line: line + 1, column: srcCol + 1 });
    }
    // asc emits offsets in ascending order; sort anyway so lookup can bisect.
    const order = offsets.map((_, i) => i).sort((a, b) => offsets[a]! - offsets[b]!);
    return new WasmSourceMap(
      order.map((i) => offsets[i]!),
      order.map((i) => positions[i]!),
    );
  }

  /**
   * Finds the map of a module: its sourceMappingURL custom section (a file:// URL, or a path
   * relative to the module's own file), else `<module>.map` beside it. Undefined when there is
   * none or it cannot be read: a module without a map still runs, its frames named by function.
   */
  static forModule(module: WebAssembly.Module, modulePath?: string): WasmSourceMap | undefined {
    const url = sourceMappingUrl(module);
    const candidates: string[] = [];
    if (url?.startsWith('file://')) candidates.push(fileURLToPath(url));
    else if (url && modulePath && !/^[a-z]+:/i.test(url)) candidates.push(path.resolve(path.dirname(modulePath), url));
    if (modulePath) candidates.push(`${modulePath}.map`);
    for (const file of candidates) {
      if (!existsSync(file)) continue;
      try {
        const map = WasmSourceMap.parse(readFileSync(file, 'utf8'));
        if (map) return map;
      } catch {
        // An unreadable map only costs source positions in trap reports.
      }
    }
    return undefined;
  }

  /** The source position of the instruction at `offset`: the last mapping at or before it. */
  lookup(offset: number): SourcePosition | undefined {
    let lo = 0;
    let hi = this.offsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid]! <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.positions[found];
  }
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64.indexOf(ch);
    if (digit < 0) break;
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value % 2 === 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** The module's sourceMappingURL custom section, if it has one. */
export function sourceMappingUrl(module: WebAssembly.Module): string | undefined {
  try {
    const [section] = WebAssembly.Module.customSections(module, 'sourceMappingURL');
    if (!section) return undefined;
    const b = new Uint8Array(section);
    // The section holds a length-prefixed (LEB128) string.
    let p = 0;
    let len = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = b[p++]!;
      len |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && p < b.length);
    return Buffer.from(b.subarray(p, p + len)).toString('utf8');
  } catch {
    return undefined;
  }
}
