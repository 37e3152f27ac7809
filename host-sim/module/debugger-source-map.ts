import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readUleb, uleb } from './leb128.js';

/**
 * Makes a debug build's source map reachable from a debugger. asc records the map as
 * "./debug.wasm.map" and its sources relative to the project, but a module compiled from bytes
 * has no URL to resolve them against (V8 names it wasm://wasm/<hash>). So: a copy of the map
 * with absolute file:// sources, and the module's sourceMappingURL section pointing at it by an
 * absolute file:// URL. DevTools and VS Code then show (and break in) the filter's .ts files.
 * Returns the bytes unchanged when there is no `<module>.map`.
 */
export function withAbsoluteSourceMap(modulePath: string, bytes: Uint8Array): { bytes: Uint8Array; map?: string } {
  const mapFile = `${modulePath}.map`;
  if (!existsSync(mapFile)) return { bytes };
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourceRoot?: string };
  const mapDir = path.dirname(path.resolve(mapFile));
  map.sources = map.sources.map((s) => {
    if (s.startsWith('~lib/')) return s; // AssemblyScript's standard library: no file on disk
    for (const base of [mapDir, path.dirname(mapDir)]) {
      const abs = path.resolve(base, s);
      if (existsSync(abs)) return pathToFileURL(abs).href;
    }
    return s;
  });
  delete map.sourceRoot;
  const out = path.join(mapDirectory(), `${mapCount++}-${path.basename(mapFile)}`);
  writeFileSync(out, JSON.stringify(map));
  return { bytes: setSourceMappingUrl(bytes, pathToFileURL(out).href), map: out };
}

let tempDir: string | undefined;
let mapCount = 0;

/** One directory per process for the rewritten maps, removed when the process exits. */
function mapDirectory(): string {
  if (!tempDir) {
    const dir = mkdtempSync(path.join(tmpdir(), 'meshwasm-inspect-'));
    tempDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return tempDir;
}

/** Drops any sourceMappingURL custom section and appends one holding `url`. */
function setSourceMappingUrl(bytes: Uint8Array, url: string): Uint8Array {
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++]!;
    const [size, afterSize] = readUleb(bytes, pos);
    const end = afterSize + size;
    let drop = false;
    if (id === 0) {
      const [nameLen, afterName] = readUleb(bytes, afterSize);
      drop = Buffer.from(bytes.subarray(afterName, afterName + nameLen)).toString() === 'sourceMappingURL';
    }
    if (!drop) kept.push(bytes.subarray(start, end));
    pos = end;
  }
  const name = Buffer.from('sourceMappingURL');
  const value = Buffer.from(url);
  const payload = Buffer.concat([Buffer.from(uleb(name.length)), name, Buffer.from(uleb(value.length)), value]);
  kept.push(Uint8Array.of(0), Buffer.from(uleb(payload.length)), payload);
  return Buffer.concat(kept);
}
