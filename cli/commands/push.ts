import { readFile } from 'node:fs/promises';
import { parseReference, pushModule, type PushResult } from '../../registry/index.js';
import { CliError, ExitCode } from '../errors.js';
import { refuseBrokenModule } from '../module-checks.js';
import { parseOutputFormat, printResult, progressLine } from '../output.js';
import { parseAnnotations, short, targetOptions, type RegistryFlags } from './registry-options.js';
import { signingMethod, type SigningFlags } from './signing-options.js';

interface PushFlags extends RegistryFlags, SigningFlags {
  sign?: boolean;
  format: 'wasm' | 'compat';
  annotation?: string[];
  rootId?: string[];
  output?: string;
  /** Push a module that fails the build's checks. */
  force?: boolean;
}

export async function push(modulePath: string, ref: string, flags: PushFlags): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const annotations = parseAnnotations('push', flags.annotation);
  let wasm: Uint8Array;
  try {
    wasm = new Uint8Array(await readFile(modulePath));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `push: cannot read module "${modulePath}" (${code ?? (err as Error).message}); build it first with "meshwasm build"`,
      code === 'ENOENT' ? ExitCode.notFound : ExitCode.invalidInput,
    );
  }
  refuseBrokenModule('push', modulePath, wasm, flags.force);
  // Read the key (and its passphrase) before pushing, so a wrong passphrase pushes nothing.
  const method = flags.sign ? await signingMethod('push --sign', flags) : undefined;
  const options = await targetOptions('push', flags);
  const line = progressLine();
  const result = await pushModule(wasm, ref, {
    ...options,
    format: flags.format,
    annotations,
    rootIds: flags.rootId ?? [],
    hooks: {
      onUpload: (d) => line.update(`uploading ${short(d.digest)} (${d.size} bytes)`),
      onSkip: (d) => line.update(`exists    ${short(d.digest)}`),
    },
  });
  line.done();
  if (!method) return printResult(format, result, () => text(result));
  const { signImage } = await import('../../registry/signing/index.js');
  const { signedText } = await import('./sign.js');
  const signature = await signImage(result.pinned, method, options);
  printResult(format, { ...result, signature }, () => `${text(result)}\n${signedText(signature)}`);
}

function text(r: PushResult): string {
  const remote = parseReference(r.reference).kind === 'remote';
  return [
    `pushed ${r.reference} (${r.format === 'wasm' ? 'wasm OCI variant' : 'compat OCI image'}, ${r.size} bytes, ABI ${r.abiVersions.join(', ')})`,
    `  manifest digest: ${r.manifestDigest}`,
    remote
      ? `    -> WasmPlugin/TrafficExtension url oci://${r.pinned}, or url oci://${r.reference} with sha256: ${r.manifestSha256}`
      : `    -> the digest skopeo and the control plane pin`,
    `  module sha256:   ${r.moduleSha256}`,
    `    -> "sha256" for an http(s):// url, and Envoy's remote code sha256`,
    `  pinned:          ${r.pinned}`,
    `  blobs: ${r.uploaded.length} uploaded, ${r.skipped.length} already present`,
  ].join('\n');
}
