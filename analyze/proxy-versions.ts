/**
 * What a given Istio release's proxy accepts. Istio ships its own Envoy build, so the Istio
 * minor version decides the proxy-wasm ABI versions and the extension kinds available.
 *
 * Sources (read, not copied): proxy-wasm ABI 0.1.0 was frozen for Istio 1.5 (envoy-wasm#438);
 * 0.2.0 support landed with multi-version support in Istio 1.7's Envoy (istio/envoy#248);
 * 0.2.1 came with the proxy-wasm-cpp-host bundled in Envoy 1.17, which Istio 1.9 ships.
 * Envoy never dropped 0.1.0 (envoy#14318 discussion). WasmPlugin appeared in Istio 1.12,
 * TrafficExtension in 1.30. Older or newer releases than this table knows are treated as the
 * nearest known one.
 */
export interface IstioVersion {
  major: number;
  minor: number;
  text: string;
}

export const DEFAULT_ISTIO_VERSION = '1.30';

const ABI_SINCE: Record<string, number> = { '0.1.0': 5, '0.2.0': 7, '0.2.1': 9 };
const KIND_SINCE: Record<string, number> = { WasmPlugin: 12, TrafficExtension: 30 };

export function parseIstioVersion(text: string): IstioVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:-.*)?$/.exec(text.trim());
  if (!m || Number(m[1]) !== 1) {
    throw Object.assign(
      new Error(`--istio-version "${text}" is not an Istio version; pass it as 1.MINOR, e.g. --istio-version 1.24`),
      { kind: 'invalid-input' as const },
    );
  }
  return { major: 1, minor: Number(m[2]), text: `1.${m[2]}` };
}

/** ABI versions the target's proxy speaks, newest first. */
export function abiVersionsFor(v: IstioVersion): string[] {
  return Object.entries(ABI_SINCE)
    .filter(([, since]) => v.minor >= since)
    .map(([abi]) => abi)
    .reverse();
}

/** The first Istio minor that serves an extension kind, or undefined when any does. */
export function kindSince(kind: string): string | undefined {
  const since = KIND_SINCE[kind];
  return since === undefined ? undefined : `1.${since}`;
}

export function servesKind(v: IstioVersion, kind: string): boolean {
  const since = KIND_SINCE[kind];
  return since === undefined || v.minor >= since;
}

export function abiSince(abi: string): string | undefined {
  const since = ABI_SINCE[abi];
  return since === undefined ? undefined : `1.${since}`;
}
