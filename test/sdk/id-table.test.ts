import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from './build-fixture.js';

interface TableExports {
  tableSet(id: number, tag: number): void;
  tableGet(id: number): number;
  tableDelete(id: number): void;
  collect(): void;
  memory: WebAssembly.Memory;
}

let module: WebAssembly.Module;
// Compiling takes seconds alone, minutes on a loaded 2-core machine.
beforeAll(async () => {
  module = new WebAssembly.Module(readFileSync(await buildFixture('id-table')));
}, 300_000);

/** A fresh instance; the host functions are stubs (the table calls none of them). */
function table(): TableExports {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
  const instance = new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  (instance.exports._initialize as () => void)();
  return instance.exports as unknown as TableExports;
}

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** Random sets and deletes on ids drawn by `nextId`, checked against a Map after every step. */
function checkAgainstMap(nextId: (r: () => number) => number, steps: number, seed: number): void {
  const t = table();
  const model = new Map<number, number>();
  const r = random(seed);
  for (let step = 0; step < steps; step++) {
    const id = nextId(r);
    if (r() % 3 === 0) {
      t.tableDelete(id);
      model.delete(id);
    } else {
      t.tableSet(id, step);
      model.set(id, step);
    }
    if (step % 997 === 0) t.collect();
    if (t.tableGet(id) !== (model.get(id) ?? -1)) throw new Error(`step ${step}: id ${id}`);
  }
  t.collect();
  for (const [id, tag] of model) expect(t.tableGet(id)).toBe(tag);
  for (let i = 0; i < 2000; i++) {
    const id = nextId(r);
    expect(t.tableGet(id)).toBe(model.get(id) ?? -1);
  }
}

describe('sdk IdTable (contexts and calls by host id)', () => {
  it('behaves as a Map for small, dense, colliding ids (0 included)', () => {
    checkAgainstMap((r) => r() % 64, 20_000, 1);
  });

  it('behaves as a Map for ids spread over all of u32, and ids a power of two apart', () => {
    checkAgainstMap((r) => r(), 20_000, 2);
    checkAgainstMap((r) => ((r() % 512) << 16) >>> 0, 20_000, 3);
    checkAgainstMap((r) => (r() % 2 ? 0xffffffff - (r() % 8) : r() % 8), 5_000, 4);
  });

  it('grows to thousands of live ids and shrinks back, keeping memory bounded', () => {
    const t = table();
    for (let round = 0; round < 3; round++) {
      // Envoy-like: increasing ids, a long-lived one (a root context) and a window of live ones.
      t.tableSet(1, 1);
      const base = 100 + round * 10_000;
      for (let i = 0; i < 5_000; i++) t.tableSet(base + i, i);
      for (let i = 0; i < 5_000; i++) expect(t.tableGet(base + i)).toBe(i);
      for (let i = 0; i < 5_000; i++) t.tableDelete(base + i);
      for (let i = 0; i < 5_000; i++) expect(t.tableGet(base + i)).toBe(-1);
      expect(t.tableGet(1)).toBe(1);
      t.collect();
    }
    const pages = t.memory.buffer.byteLength;
    for (let i = 0; i < 5_000; i++) t.tableSet(50_000 + i, i);
    for (let i = 0; i < 5_000; i++) t.tableDelete(50_000 + i);
    t.collect();
    expect(t.memory.buffer.byteLength).toBe(pages);
  });
});
