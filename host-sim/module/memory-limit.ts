import { HostError } from '../errors.js';
import { readUleb, uleb } from './leb128.js';

const PAGE = 65536;

/**
 * The module with its memory's declared maximum lowered to `limitBytes`, so memory.grow past the
 * limit fails inside the engine (returns -1) and nothing is ever committed beyond it. A module
 * that needs more than the limit just to start is refused, naming both sizes. Only the memory
 * section changes; a module that imports its memory is returned as is (no proxy-wasm host
 * provides one).
 */
export function limitMemory(bytes: Uint8Array, limitBytes: number, label: string): Uint8Array {
  const limitPages = Math.max(1, Math.floor(limitBytes / PAGE));
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p]!;
    const [size, body] = readUleb(bytes, p + 1);
    const end = body + size;
    if (id !== 5) {
      p = end;
      continue;
    }
    let q = body;
    const [count, afterCount] = readUleb(bytes, q);
    q = afterCount;
    const entries: number[] = [...uleb(count)];
    for (let i = 0; i < count; i++) {
      const flags = bytes[q++]!;
      // Shared or 64-bit memories are not something a proxy-wasm module declares; leave them.
      if (flags > 1) return bytes;
      const [min, afterMin] = readUleb(bytes, q);
      q = afterMin;
      let max = Infinity;
      if (flags & 1) [max, q] = readUleb(bytes, q);
      if (min > limitPages)
        throw new HostError(
          'invalid-input',
          `${label} needs ${(min * PAGE) / 2 ** 20} MiB of memory to start, over the per-VM limit of ${limitBytes / 2 ** 20} MiB; raise the limit (--memory-limit) or shrink the module's initial memory`,
        );
      entries.push(1, ...uleb(min), ...uleb(Math.min(max, limitPages)));
    }
    const section = [5, ...uleb(entries.length), ...entries];
    const out = new Uint8Array(p + section.length + (bytes.length - end));
    out.set(bytes.subarray(0, p), 0);
    out.set(section, p);
    out.set(bytes.subarray(end), p + section.length);
    return out;
  }
  return bytes;
}
