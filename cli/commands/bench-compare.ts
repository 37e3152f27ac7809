import { readFile } from 'node:fs/promises';
import { runCompare, type CompareOptions } from '../../bench/compare.js';
import { formatCompareTable } from '../../bench/compare-table.js';
import { CliError, ExitCode } from '../errors.js';
import { printResult, progress, type OutputFormat } from '../output.js';

/** `meshwasm bench --compare A.wasm B.wasm` (docs/bench.md, "Comparing two modules"). */

/** "5%", "5" or "0.5%": a percentage at or above 0. */
export function parsePercent(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().replace(/%$/, '');
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0) {
    throw new CliError(`bench: ${flag} takes a percentage such as 5%, got "${value}"`, ExitCode.usage);
  }
  return n;
}

async function readModule(path: string, which: 'A' | 'B'): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new CliError(
      `bench --compare: cannot read module ${which} ${path}; build one with "meshwasm build"`,
      ExitCode.notFound,
    );
  }
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    throw new CliError(
      `bench --compare: module ${which} ${path} is not a valid WebAssembly module; ` +
        'check the path points at a built .wasm ("meshwasm build" writes build/release.wasm)',
      ExitCode.invalidInput,
    );
  }
  return bytes;
}

export interface CompareCliInput extends Omit<CompareOptions, 'a' | 'b' | 'onProgress'> {
  pathA: string;
  pathB: string;
  output: OutputFormat;
}

export async function benchCompare(input: CompareCliInput): Promise<void> {
  const { pathA, pathB, output, ...rest } = input;
  // Both files are read and checked before anything is measured.
  const a = await readModule(pathA, 'A');
  const b = await readModule(pathB, 'B');
  const report = await runCompare({
    ...rest,
    a: { module: a, label: pathA },
    b: { module: b, label: pathB },
    onProgress: (m) => progress(`bench: ${m}`),
  });
  printResult(output, report, () => formatCompareTable(report));
  // Thrown, not set on process.exitCode: main.ts sets the exit code from what the action throws.
  if (report.verdict.regressed) {
    const reasons = [report.verdict.time, report.verdict.units].filter((v) => v.regressed).map((v) => v.reason);
    throw new CliError(`bench: ${pathB} regressed against ${pathA}: ${reasons.join('; ')}`, ExitCode.checkFailed);
  }
}
