import { buildProject, type BuildTarget } from '../../builder/index.js';
import type { AbiVersion } from '../../host-sim/abi/constants.js';
import { oldestReleaseLoading } from '../../host-sim/envoy-releases.js';
import { CliError, ExitCode } from '../errors.js';
import { parseOutputFormat, printResult, progress } from '../output.js';

export interface BuildCommandOptions {
  target?: string;
  out?: string;
  output?: string;
  /** False with --no-compress-data; otherwise the builder's default for the target. */
  compressData?: boolean;
}

/** `meshwasm build [dir]`: compile with asc, check the module, print its size and ABI version. */
export async function build(dir: string | undefined, opts: BuildCommandOptions): Promise<void> {
  const format = parseOutputFormat(opts.output);
  const target = (opts.target ?? 'release') as BuildTarget;
  if (target !== 'release' && target !== 'debug') {
    throw new CliError(
      `build: unknown target "${opts.target}"; use --target release or --target debug`,
      ExitCode.usage,
    );
  }
  const projectDir = dir ?? '.';
  progress(`compiling ${projectDir} (${target})...`);
  const r = await buildProject({
    dir: projectDir,
    target,
    colors: Boolean(process.stderr.isTTY) && format !== 'json',
    outFile: opts.out,
    compressData: opts.compressData === false ? false : undefined,
  });
  if (r.compilerWarnings) process.stderr.write(r.compilerWarnings + '\n');
  for (const w of r.report.warnings) process.stderr.write(`warning: ${w}\n`);

  const envImports = r.report.imports.filter((i) => i.module === 'env').map((i) => i.name);
  const wasiImports = r.report.imports.filter((i) => i.module !== 'env').map((i) => `${i.module}.${i.name}`);
  // Which Envoy releases load it: the simulator's and analyze's table (host-sim/envoy-releases.ts).
  const loads = oldestReleaseLoading(
    r.report.imports.map((i) => `${i.module}.${i.name}`),
    r.report.abiVersion as AbiVersion,
  );
  if (loads.missing.length > 0) {
    process.stderr.write(
      `warning: no Envoy release provides ${loads.missing.join(', ')}; Envoy will refuse the module\n`,
    );
  }
  const envoy = loads.release
    ? { oldest: loads.release.envoy, oldestIstio: loads.release.istio, missing: [] }
    : { oldest: null, oldestIstio: null, missing: loads.missing };
  printResult(
    format,
    {
      module: r.outFile,
      target: r.target,
      sizeBytes: r.sizeBytes,
      data: r.data,
      abiVersion: r.report.abiVersion,
      sourceMap: r.sourceMap,
      callbacks: r.report.callbacks,
      imports: { env: envImports, wasi: wasiImports },
      envoy,
      warnings: r.report.warnings,
    },
    () =>
      [
        `built ${r.outFileRelative.startsWith('..') ? r.outFile : r.outFileRelative} (${r.target}): ${formatSize(r.sizeBytes)}`,
        `  ABI version: proxy-wasm ${r.report.abiVersion}`,
        `  callbacks:   ${r.report.callbacks.length} exported`,
        `  imports:     ${envImports.length} proxy-wasm host functions${wasiImports.length ? `, WASI: ${wasiImports.join(', ')}` : ''}`,
        `  loads on:    ${loads.release ? `Envoy ${loads.release.envoy}+ (Istio ${loads.release.istio}+)` : `no Envoy (missing ${loads.missing.join(', ')})`}`,
        `  data:        ${
          r.data.compressed
            ? `${formatSize(r.data.bytesAfter)}, compressed from ${formatSize(r.data.bytesBefore)} (expanded at start-up by ${r.data.decoderBytes} bytes of code)`
            : `${formatSize(r.data.bytesBefore)}, not compressed: ${r.data.reason}`
        }`,
        ...(r.sourceMap ? [`  source map:  ${r.sourceMap}`] : []),
      ].join('\n'),
  );
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB (${bytes} bytes)`;
}
