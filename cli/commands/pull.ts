import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseReference, pullModule, type PulledModule } from '../../registry/index.js';
import { parseOutputFormat, printResult, progressLine } from '../output.js';
import { short, targetOptions, type RegistryFlags } from './registry-options.js';

interface PullFlags extends RegistryFlags {
  out?: string;
  output?: string;
}

/** Where a pull writes by default: `<last repository component>.wasm` in the current directory. */
function defaultOut(ref: string): string {
  const r = parseReference(ref);
  const name = r.kind === 'remote' ? r.repository : (r.repository ?? basename(r.path));
  return `${name.split('/').pop()}.wasm`;
}

export async function pull(ref: string, flags: PullFlags): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const out = resolve(flags.out ?? defaultOut(ref));
  const line = progressLine();
  let pulled: PulledModule;
  try {
    pulled = await pullModule(ref, {
      ...(await targetOptions('pull', flags)),
      hooks: { onUpload: (d) => line.update(`downloading ${short(d.digest)} (${d.size} bytes)`) },
    });
  } catch (err) {
    // A tag that is not there: say how to see the ones that are.
    if ((err as { kind?: unknown }).kind === 'not-found' && err instanceof Error)
      err.message += `; list the repository's tags with "meshwasm tags ${ref.replace(/(:[^/:@]+)?(@sha256:[a-f0-9]+)?$/, '')}"`;
    throw err;
  }
  line.done();
  // Everything was digest-checked and validated before this point; write-then-rename so a
  // failure never leaves a partial module where the proxy or a test would pick it up.
  const tmp = `${out}.${process.pid}.partial`;
  try {
    await writeFile(tmp, pulled.module);
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const { module: _bytes, ...report } = pulled;
  printResult(format, { ...report, file: out, size: pulled.module.byteLength }, () => text(pulled, out));
}

function text(p: PulledModule, out: string): string {
  return [
    `pulled ${p.reference} (${p.format} layout) to ${out} (${p.module.byteLength} bytes)`,
    `  manifest digest: ${p.manifestDigest}`,
    `  module sha256:   ${p.moduleSha256}`,
    `  ABI: ${p.abiVersions?.join(', ') || 'unknown'}${p.rootIds?.length ? `; root ids: ${p.rootIds.join(', ')}` : ''}`,
  ].join('\n');
}
