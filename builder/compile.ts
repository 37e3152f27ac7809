import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compressData, dataSectionBytes } from './compress-data.js';
import { BuildError } from './errors.js';
import { packDataSegments } from './pack-data.js';
import { packageRoot } from './package-root.js';
import { type ModuleReport, validateModule } from './validate.js';
import { loadAsConfig } from './asconfig.js';

export type BuildTarget = 'release' | 'debug';

export interface BuildOptions {
  /** Project directory (holds asconfig.json and assembly/). */
  dir: string;
  /** asconfig.json target; default "release". */
  target?: BuildTarget;
  /** Colour asc's diagnostics (only when they go to a terminal). Default false. */
  colors?: boolean;
  /** Where to write the module instead of asconfig.json's outFile (default build/<target>.wasm). */
  outFile?: string;
  /**
   * Store the static data compressed, expanded by a start function at instantiation
   * (builder/compress-data.ts). Default: on for release, off for debug (data stays readable).
   */
  compressData?: boolean;
}

/** What became of the module's data section. */
export interface DataReport {
  compressed: boolean;
  /** The data section's size as asc wrote it (neighbouring segments joined) and as written. */
  bytesBefore: number;
  bytesAfter: number;
  /** Code compression added: the start function that expands the data, and its entries. */
  decoderBytes: number;
  /** Why the data was not compressed; null when it was. */
  reason: string | null;
}

export interface BuildResult {
  target: BuildTarget;
  /** Absolute path of the module written. */
  outFile: string;
  /** Path of the module relative to the project directory. */
  outFileRelative: string;
  sourceMap: string | null;
  sizeBytes: number;
  data: DataReport;
  report: ModuleReport;
  /** asc's warnings, as it printed them (empty when none). */
  compilerWarnings: string;
}

/** What each target means when asconfig.json does not say: release small and fast, debug readable. */
const TARGET_DEFAULTS: Record<BuildTarget, Record<string, unknown>> = {
  release: { optimizeLevel: 3, shrinkLevel: 2, debug: false },
  debug: { debug: true, sourceMap: true, optimizeLevel: 0, shrinkLevel: 0 },
};

/** The SDK's runtime hooks: the module must import nothing but proxy-wasm and WASI. */
const SDK_USES = ['abort', 'trace', 'seed'].map((n) => `${n}=~lib/meshwasm/sdk/runtime/${n}Handler`);

/**
 * Compiles a filter project with asc and validates the module. Throws BuildError: kind 'build'
 * with asc's diagnostics when compilation fails, 'invalid-input' for a bad asconfig.json,
 * 'not-found' when there is nothing to build.
 */
export async function buildProject(opts: BuildOptions): Promise<BuildResult> {
  const dir = path.resolve(opts.dir);
  const target = opts.target ?? 'release';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new BuildError(
      `build: directory "${opts.dir}" does not exist; run "meshwasm init ${opts.dir} --template blank" to create a project`,
      'not-found',
    );
  }
  const configPath = path.join(dir, 'asconfig.json');
  // Merged with the files it extends (the repository's asconfig.json for the shipped filters).
  const config = loadAsConfig(configPath);
  const effective = { ...TARGET_DEFAULTS[target], ...(config?.options ?? {}), ...(config?.targets?.[target] ?? {}) };

  const entries = config?.entries?.length ? [] : ['assembly/index.ts'];
  for (const e of config?.entries ?? entries) {
    if (!existsSync(path.join(dir, e))) {
      throw new BuildError(
        `build: entry file "${e}" not found in ${dir}; create it or list your entry files in asconfig.json "entries"`,
        'not-found',
      );
    }
  }
  if (effective.runtime === 'stub') {
    throw new BuildError(
      `build: ${configPath} sets "runtime": "stub", which never frees memory, so a proxy's memory would grow with every request; use "minimal" (the default) or "incremental"`,
      'invalid-input',
    );
  }

  const outFileRelative = opts.outFile
    ? path.relative(dir, path.resolve(opts.outFile))
    : String(effective.outFile ?? `build/${target}.wasm`);
  const args: string[] = [...entries, '--baseDir', dir, '--target', target, '--outFile', outFileRelative];
  if (config) args.push('--config', configPath);
  // Defaults only where asconfig.json is silent (command-line flags would override it).
  for (const [key, value] of Object.entries(TARGET_DEFAULTS[target])) {
    if (config?.options?.[key] !== undefined || config?.targets?.[target]?.[key] !== undefined) continue;
    if (value === true) args.push(`--${key}`);
    else if (typeof value === 'number') args.push(`--${key}`, String(value));
  }
  if (effective.runtime === undefined) args.push('--runtime', 'minimal');
  if (effective.exportStart === undefined) args.push('--exportStart', '_initialize');
  const uses = Array.isArray(effective.use) ? (effective.use as string[]) : [];
  if (usesSdk(dir)) {
    for (const u of SDK_USES) if (!uses.some((x) => x.startsWith(u.split('=')[0] + '='))) args.push('--use', u);
  }
  if (!opts.colors) args.push('--noColors');

  const written = new Map<string, Uint8Array | string>();
  let stderrText = '';
  const stderr = {
    write(chunk: string | Uint8Array) {
      stderrText += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    },
  };
  const stdout = {
    write(_chunk: string | Uint8Array) {
      return true;
    },
  };
  const sdkFallback = installedSdk(dir) ? null : path.join(packageRoot(), 'sdk');

  // Loaded only now: the compiler is megabytes of JavaScript, and input errors need none of it.
  const { default: asc } = await import('assemblyscript/asc');
  const result = await asc.main(args, {
    stdout: stdout as never,
    stderr: stderr as never,
    readFile: async (filename: string, baseDir: string) => {
      const abs = path.resolve(baseDir, filename);
      try {
        return await readFile(abs, 'utf8');
      } catch {
        // A project inside this checkout (filters/) has no node_modules/meshwasm: serve the SDK
        // of the meshwasm running the build, which is the one the module is checked against.
        const m = sdkFallback && /(?:^|[\\/])node_modules[\\/]meshwasm[\\/]sdk[\\/](.+)$/.exec(abs);
        if (!m || !sdkFallback) return null;
        try {
          return await readFile(path.join(sdkFallback, m[1]!), 'utf8');
        } catch {
          return null;
        }
      }
    },
    // Held in memory: nothing reaches the disk until the module has passed its checks, so a
    // refused build leaves the last good module (and its source map) in place.
    writeFile: async (filename: string, contents: Uint8Array | string, baseDir: string) => {
      written.set(path.resolve(baseDir, filename), contents);
    },
  });
  if (result.error) {
    const diagnostics = stderrText.trim();
    throw new BuildError(
      `build: asc failed to compile ${dir} (target ${target}):\n${diagnostics || result.error.message}`,
      'build',
      diagnostics,
    );
  }

  const outFile = path.resolve(dir, outFileRelative);
  const bytes = written.get(outFile);
  if (bytes === undefined) throw new BuildError(`build: asc wrote no module for ${outFileRelative}`, 'build');
  const compiled = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const mapFile = outFile + '.map';
  const packed = packDataSegments(compiled);
  const { module: binary, data } = compress(
    packed,
    opts.compressData ?? target === 'release',
    target,
    written.has(mapFile),
  );
  const report = validateModule(binary);
  if (report.problems.length) {
    throw new BuildError(
      `build: ${outFileRelative} compiled but is not a usable proxy-wasm module, so it was not written` +
        `${existsSync(outFile) ? ` (the previous ${outFileRelative} is untouched)` : ''}:\n  - ${report.problems.join('\n  - ')}`,
      'build',
    );
  }
  written.set(outFile, binary);
  // The module goes last, so a reader that sees the new module also sees its new source map.
  for (const [file, contents] of written) if (file !== outFile) await writeAtomically(file, contents);
  await writeAtomically(outFile, binary);
  return {
    target,
    outFile,
    outFileRelative,
    sourceMap: written.has(mapFile) ? mapFile : null,
    sizeBytes: binary.byteLength,
    data,
    report,
    compilerWarnings: stderrText.trim(),
  };
}

/** The data compression pass when it is on and applies (a source map's code offsets would move). */
/** Writes beside the target and renames over it: readers see the old file or the new, never half. */
async function writeAtomically(file: string, contents: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, contents);
  await rename(temp, file);
}

function compress(
  module: Uint8Array,
  on: boolean,
  target: BuildTarget,
  sourceMap: boolean,
): { module: Uint8Array; data: DataReport } {
  const off = !on
    ? target === 'debug'
      ? 'off for debug builds'
      : 'turned off (--no-compress-data)'
    : sourceMap
      ? 'a source map was written, and compression would move the code it maps'
      : null;
  if (off) {
    const bytes = dataSectionBytes(module);
    return { module, data: { compressed: false, bytesBefore: bytes, bytesAfter: bytes, decoderBytes: 0, reason: off } };
  }
  const r = compressData(module);
  return {
    module: r.module,
    data: {
      compressed: r.skipped === null,
      bytesBefore: r.dataBytesBefore,
      bytesAfter: r.dataBytesAfter,
      decoderBytes: r.decoderBytes,
      reason: r.skipped,
    },
  };
}

/** Does any source under assembly/ import the SDK? Only then are its runtime hooks routed. */
function usesSdk(dir: string): boolean {
  const root = path.join(dir, 'assembly');
  const stack = existsSync(root) ? [root] : [];
  while (stack.length) {
    const d = stack.pop()!;
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) stack.push(p);
      else if (ent.name.endsWith('.ts') && readFileSync(p, 'utf8').includes('meshwasm/sdk')) return true;
    }
  }
  return false;
}

/** The SDK installed in the project (node_modules/meshwasm in it or a parent), if any. */
function installedSdk(dir: string): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', 'meshwasm', 'sdk', 'index.ts');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return null;
  }
}
