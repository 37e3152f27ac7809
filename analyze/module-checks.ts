import { envoyReleaseForIstio, firstReleaseWith, importsOf } from '../host-sim/envoy-releases.js';
import type { AbiVersion } from '../host-sim/abi/constants.js';
import { finding, type Finding } from './finding.js';
import { abiSince, abiVersionsFor, type IstioVersion } from './proxy-versions.js';
import type { Subject } from './subject.js';

export interface StaticModuleInfo {
  abiVersions: string[];
  exports: string[];
}

const ABI_MARKER = /^proxy_abi_version_(\d+)_(\d+)_(\d+)$/;

/**
 * What Envoy checks before it runs any code: a valid wasm binary, an ABI marker it speaks,
 * only imports it provides, an exported memory and an allocator. Reports every problem at
 * once (the simulator's loader stops at the first). Returns undefined info when the module
 * cannot be compiled at all.
 */
export function checkModuleStatically(
  s: Subject,
  bytes: Uint8Array,
  target: IstioVersion,
): { findings: Finding[]; info?: StaticModuleInfo } {
  const findings: Finding[] = [];
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    return {
      findings: [
        finding(
          'MW0301',
          s,
          `${s.url} is not a WebAssembly module (no \\0asm magic number; first bytes ${Buffer.from(bytes.subarray(0, 8)).toString('hex')})`,
        ),
      ],
    };
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    return {
      findings: [finding('MW0301', s, `${s.url} is not a valid WebAssembly module: ${(err as Error).message}`)],
    };
  }
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  const imports = WebAssembly.Module.imports(module);
  const abiVersions = exports
    .map((e) => ABI_MARKER.exec(e))
    .filter((m) => m !== null)
    .map((m) => `${m[1]}.${m[2]}.${m[3]}`);

  const spoken = abiVersionsFor(target);
  if (abiVersions.length === 0) {
    findings.push(
      finding(
        'MW0301',
        s,
        'the module exports no proxy-wasm ABI marker (proxy_abi_version_0_2_1, _0_2_0 or _0_1_0); Envoy refuses it as "unknown ABI version": it was not built with a proxy-wasm SDK',
      ),
    );
  } else if (!abiVersions.some((v) => spoken.includes(v))) {
    const why = abiVersions
      .map((v) => (abiSince(v) ? `${v} needs Istio ${abiSince(v)}+` : `${v} is not a released proxy-wasm ABI`))
      .join('; ');
    findings.push(
      finding(
        'MW0303',
        s,
        `the module speaks proxy-wasm ABI ${abiVersions.join(', ')}; Istio ${target.text} speaks ${spoken.join(', ')} (${why})`,
        { abiVersions, spoken, istioVersion: target.text },
      ),
    );
  } else if (abiVersions.every((v) => v === '0.1.0')) {
    findings.push(
      finding(
        'MW0304',
        s,
        'the module declares only proxy-wasm ABI 0.1.0 (proxy_abi_version_0_1_0): Envoy still loads it, but that ABI was frozen for Istio 1.5 and enum values (http call response map types) differ in later proxies',
        { abiVersions },
      ),
    );
  }

  // The import set of the Envoy this Istio ships, for the newest ABI both speak (cpp-host
  // registers some functions for one ABI only): host-sim/envoy-releases.ts, the same table the
  // simulator loads modules with.
  const envoy = envoyReleaseForIstio(target.text);
  const abi = (abiVersions
    .filter((v) => spoken.includes(v))
    .sort()
    .reverse()[0] ?? '0.2.1') as AbiVersion;
  const provided = importsOf(envoy, abi);
  const unknown = imports
    .filter((i) => i.kind === 'function' && !provided.has(`${i.module}.${i.name}`))
    .map((i) => `${i.module}.${i.name}`);
  const otherImports = imports
    .filter((i) => i.kind !== 'function' && !(i.kind === 'memory' && i.module === 'env'))
    .map((i) => `${i.kind} ${i.module}.${i.name}`);
  if (unknown.length + otherImports.length > 0) {
    const newer = unknown.filter((n) => firstReleaseWith(n, abi));
    const nowhere = [...unknown.filter((n) => !firstReleaseWith(n, abi)), ...otherImports];
    const parts: string[] = [];
    if (newer.length > 0) {
      const since = newer.map(
        (n) => `${n} (Envoy ${firstReleaseWith(n, abi)!.envoy}+, Istio ${firstReleaseWith(n, abi)!.istio}+)`,
      );
      parts.push(`imports Envoy ${envoy.envoy} (Istio ${target.text}) lacks: ${since.join(', ')}`);
    }
    if (nowhere.length > 0) parts.push(`imports ${nowhere.join(', ')}, which no Envoy provides`);
    findings.push(
      finding(
        'MW0302',
        s,
        `the module ${parts.join('; it also ')}; Envoy fails the VM with "Failed to load Wasm module due to a missing import"`,
        { imports: [...unknown, ...otherImports], envoyVersion: envoy.envoy, needsNewerEnvoy: newer },
      ),
    );
  }
  if (!exports.includes('memory') && !imports.some((i) => i.kind === 'memory')) {
    findings.push(
      finding(
        'MW0301',
        s,
        'the module exports no memory; proxy-wasm hosts exchange all data through the exported "memory"',
      ),
    );
  }
  if (!exports.includes('proxy_on_memory_allocate') && !exports.includes('malloc')) {
    findings.push(
      finding(
        'MW0301',
        s,
        'the module exports neither proxy_on_memory_allocate nor malloc, so the proxy cannot hand it any data',
      ),
    );
  }
  return { findings, info: { abiVersions, exports } };
}
