import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProject } from '../../builder/index.js';
import { compressData } from '../../builder/compress-data.js';
import { Reader, readSections } from '../../builder/wasm-binary.js';
import { createHarness } from '../../host-sim/harness/index.js';
import { compileWatText } from '../fixtures/compile.js';

// Compiles take seconds alone and far longer on a loaded 2-core machine.
const BUILD_TIMEOUT = 240_000;
const repo = fileURLToPath(new URL('../../', import.meta.url));

/** A project's release module as asc and the segment packing leave it, before compression. */
async function uncompressedRelease(dir: string): Promise<Uint8Array> {
  const outFile = path.join(mkdtempSync(path.join(tmpdir(), 'mw-compress-')), 'release.wasm');
  await buildProject({ dir: path.join(repo, dir), target: 'release', outFile, compressData: false });
  return new Uint8Array(readFileSync(outFile));
}

/**
 * Linear memory once instantiation is over, found independently of the pass's own check: every
 * import throws, so this also shows that nothing calls out during start-up.
 */
function memoryAfterStart(bytes: Uint8Array): Buffer {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const imports: Record<string, Record<string, () => never>> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    (imports[i.module] ??= {})[i.name] = () => {
      throw new Error(`${i.module}.${i.name} called during instantiation`);
    };
  }
  const instance = new WebAssembly.Instance(module, imports);
  return Buffer.from((instance.exports.memory as WebAssembly.Memory).buffer);
}

/** Bytes as a WAT string literal. */
function wat(bytes: Uint8Array): string {
  return '"' + [...bytes].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('') + '"';
}
const text = (s: string) => wat(Buffer.from(s, 'utf16le'));
const PROSE = 'the quick brown fox jumps over the lazy dog; proxy_on_request_headers returned Continue. ';

describe('data compression of release modules', () => {
  it.each(['authz', 'telemetry', 'header-routing'])(
    '%s: smaller, and memory after start-up is unchanged',
    async (name) => {
      const before = await uncompressedRelease(`filters/${name}`);
      const r = compressData(before);
      expect(r.skipped).toBeNull();
      expect(r.module.length).toBeLessThan(before.length - 5000);
      expect(before.length - r.module.length).toBe(r.dataBytesBefore - r.dataBytesAfter - r.decoderBytes);
      // authz's image also holds the gRPC ext-authz CheckRequest encoder and the full callback set
      // (issue 15, budget 48 KB), which compress less well than the other filters' text.
      expect(r.blobBytes).toBeLessThan(r.imageBytes / (name === 'authz' ? 3.5 : 4));
      expect(r.decoderBytes).toBeLessThan(220);
      expect(memoryAfterStart(r.module).equals(memoryAfterStart(before))).toBe(true);
      // A start section now, and one data segment, in a module the proxy-wasm checks still accept.
      const ids = readSections(r.module).map((s) => s.id);
      expect(ids).toContain(8);
      expect(ids.indexOf(8)).toBeLessThan(ids.indexOf(10));
      if (name === 'authz') expect(r.blobBytes).toBeLessThan(8600);
    },
    BUILD_TIMEOUT,
  );

  it(
    'a filter with non-ASCII strings and a 20 KB zero gap: same memory, and it answers as before',
    async () => {
      const before = await uncompressedRelease('test/sdk/fixtures/unicode-data');
      const r = compressData(before);
      expect(r.skipped).toBeNull();
      expect(r.module.length).toBeLessThan(before.length);
      expect(memoryAfterStart(r.module).equals(memoryAfterStart(before))).toBe(true);
      for (const module of [before, r.module]) {
        const h = await createHarness({ module });
        for (const [lang, greeting] of [
          ['de', 'Grüße aus Köln'],
          ['ja', 'こんにちは、世界'],
          ['emoji', '🎉 party 🎉 time 🎈'],
          ['xx', 'hello'],
        ]) {
          const res = await h.request({
            headers: { ':method': 'GET', ':path': '/', ':authority': 'a', 'x-lang': lang! },
          });
          expect(res.downstreamHeader('x-greeting')).toBe(greeting);
          expect(res.downstreamHeader('x-check')).toBe('0,250,9');
        }
      }
    },
    BUILD_TIMEOUT,
  );
});

describe('data compression of hand-written modules', () => {
  const memoryAndText = (pages: number) =>
    `(memory (export "memory") ${pages}) (data (i32.const 1024) ${text(PROSE.repeat(8))})`;

  it('compresses a module with no functions, types or data count of its own', async () => {
    const before = await compileWatText(
      `(module ${memoryAndText(1)} (data (i32.const 40000) ${text('é😀'.repeat(50))}))`,
    );
    const r = compressData(before);
    expect(r.skipped).toBeNull();
    expect(WebAssembly.validate(r.module as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(memoryAfterStart(r.module).equals(memoryAfterStart(before))).toBe(true);
  });

  it('keeps function names and drops data segment names, which would name segments that are gone', async () => {
    const before = await compileWatText(`(module (func $keep_me (export "f")) (memory (export "memory") 1)
      (data $prose (i32.const 1024) ${text(PROSE.repeat(8))}) (data $more (i32.const 9000) ${text(PROSE)}))`);
    const r = compressData(before);
    expect(r.skipped).toBeNull();
    const nameSubsections = (bytes: Uint8Array) => {
      const s = readSections(bytes).find((x) => x.id === 0 && new Reader(bytes, x.start).name() === 'name')!;
      const rd = new Reader(bytes, s.start);
      rd.name();
      const ids: number[] = [];
      while (rd.pos < s.end) {
        ids.push(rd.byte());
        const size = rd.u32();
        rd.pos += size;
      }
      return ids;
    };
    expect(nameSubsections(before)).toContain(9);
    expect(nameSubsections(r.module)).not.toContain(9);
    expect(nameSubsections(r.module)).toContain(1);
    expect(WebAssembly.validate(r.module as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(memoryAfterStart(r.module).equals(memoryAfterStart(before))).toBe(true);
  });

  it('adds an export of memory for its check when the module has none', async () => {
    const before = await compileWatText(`(module (memory 1) (data (i32.const 1024) ${text(PROSE.repeat(8))}))`);
    const r = compressData(before);
    expect(r.skipped).toBeNull();
    expect(WebAssembly.Module.exports(new WebAssembly.Module(r.module as Uint8Array<ArrayBuffer>))).toEqual([]);
  });

  it('leaves a module alone when the compressed image would not fit behind the image in initial memory', async () => {
    // 30,000 random letters (60 KB as UTF-16) from 1024 on: the image ends at about 61 KB, and
    // the blob (about 31 KB) needs more than the 4 KB left in a one-page memory. Two pages fit.
    let seed = 7;
    const letters = Array.from({ length: 30_000 }, () =>
      String.fromCharCode(97 + ((seed = (seed * 48271) % 2147483647) % 26)),
    ).join('');
    const big = (pages: number) =>
      `(module (memory (export "memory") ${pages}) (data (i32.const 1024) ${text(letters)}))`;
    const tight = await compileWatText(big(1));
    const r = compressData(tight);
    expect(r.module).toBe(tight);
    expect(r.skipped).toMatch(/would not fit in the initial memory \(65536 bytes\)/);
    const roomy = compressData(await compileWatText(big(2)));
    expect(roomy.skipped).toBeNull();
  });

  it.each([
    ['passive segments', `(module (memory 1) (data ${text(PROSE)}))`, /is passive/],
    [
      'an imported memory',
      `(module (import "env" "memory" (memory 1)) (data (i32.const 1024) ${text(PROSE.repeat(8))}))`,
      /memory is imported/,
    ],
    ['a start function', `(module (func $s) (start $s) ${memoryAndText(1)})`, /already has a start function/],
    ['no data', '(module (memory 1) (func (export "f")))', /has no data/],
    ['only empty data segments', '(module (memory 1) (data (i32.const 1024) ""))', /has no data/],
    [
      'an imported global',
      `(module (import "env" "g" (global i32)) ${memoryAndText(1)})`,
      /imports env\.g, which is not a function/,
    ],
    [
      'too little data to gain from',
      '(module (memory 1) (data (i32.const 1024) "abc"))',
      /would not make the module smaller/,
    ],
    [
      'overlapping segments',
      `(module (memory 1) (data (i32.const 1024) ${text(PROSE)}) (data (i32.const 1030) "xyz"))`,
      /overlap/,
    ],
  ])('leaves a module with %s unchanged, saying why', async (_what, source, reason) => {
    const before = await compileWatText(source);
    const r = compressData(before);
    expect(r.module).toBe(before);
    expect(r.skipped).toMatch(reason);
    expect(r.dataBytesAfter).toBe(r.dataBytesBefore);
  });
});
