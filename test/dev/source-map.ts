const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One decoded mapping of a wasm source map: a code offset and the source position it came from. */
export interface Mapping {
  offset: number;
  source: string;
  line: number; // 1-based, as editors count
}

/** Decodes a source map's mappings (Source Map v3, VLQ); wasm maps have one generated line. */
export function decodeMappings(map: { sources: string[]; mappings: string }): Mapping[] {
  const out: Mapping[] = [];
  let col = 0;
  let src = 0;
  let line = 0;
  for (const segment of map.mappings.split(/[,;]/)) {
    if (!segment) continue;
    const values: number[] = [];
    let value = 0;
    let shift = 0;
    for (const ch of segment) {
      const digit = B64.indexOf(ch);
      value += (digit & 31) << shift;
      if (digit & 32) shift += 5;
      else {
        values.push(value & 1 ? -(value >> 1) : value >> 1);
        value = 0;
        shift = 0;
      }
    }
    col += values[0]!;
    if (values.length >= 4) {
      src += values[1]!;
      line += values[2]!;
      out.push({ offset: col, source: map.sources[src]!, line: line + 1 });
    }
  }
  return out;
}
