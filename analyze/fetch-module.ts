import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  examineImage,
  parseReference,
  RegistryError,
  type CredentialSource,
  type ImageExamination,
} from '../registry/index.js';
import { finding, type Finding } from './finding.js';
import type { Subject } from './subject.js';

export interface FetchOptions {
  credentials: CredentialSource;
  /** Talk plain HTTP to every registry (default: only to loopback hosts). */
  plainHttp?: boolean;
}

/** The module a subject names, with what its source said about it. */
export interface FetchedModule {
  module?: Uint8Array;
  moduleSha256?: string;
  /** Set for oci:// urls. */
  image?: ImageExamination;
  findings: Finding[];
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Fetches the module the way the proxy would: oci:// through the registry client (never
 * throwing on a refused layout: that is MW0101), http(s):// with a plain GET, file:// and
 * plain paths from disk.
 */
export async function fetchModule(s: Subject, opts: FetchOptions): Promise<FetchedModule> {
  if (!s.url) return { findings: [finding('MW0102', s, 'no url: the extension names no module to load')] };
  if (s.url.startsWith('oci://')) return fetchOci(s, opts);
  if (/^https?:\/\//.test(s.url)) return fetchHttp(s);
  const path = s.url.startsWith('file://') ? fileURLToPath(s.url) : s.url;
  try {
    const module = new Uint8Array(await readFile(path));
    return { module, moduleSha256: sha256Hex(module), findings: [] };
  } catch (err) {
    return { findings: [finding('MW0102', s, `cannot read module file ${path}: ${(err as Error).message}`)] };
  }
}

async function fetchOci(s: Subject, opts: FetchOptions): Promise<FetchedModule> {
  const ref = s.url.slice('oci://'.length);
  let image: ImageExamination;
  try {
    parseReference(ref);
    image = await examineImage(ref, {
      credentials: opts.credentials,
      ...(opts.plainHttp ? { plainHttp: true } : {}),
      retry: { attempts: 1 },
    });
  } catch (err) {
    if (!(err instanceof RegistryError)) throw err;
    return {
      findings: [
        finding('MW0102', s, `cannot fetch ${s.url}: ${err.message}`, {
          kind: err.kind,
          ...(err.status ? { status: err.status } : {}),
        }),
      ],
    };
  }
  const findings: Finding[] = [];
  if (image.layoutError)
    findings.push(
      finding('MW0101', s, layoutMessage(s.url, image), {
        manifestDigest: image.manifestDigest,
        mediaType: image.manifestMediaType,
        layers: image.manifest?.layers.map((l) => l.mediaType) ?? [],
      }),
    );
  else if (image.moduleError)
    findings.push(finding('MW0103', s, `${s.url}: ${image.moduleError.message}`, { format: image.format }));
  const module = image.module;
  return { image, module, moduleSha256: module ? sha256Hex(module) : undefined, findings };
}

/** Names the common mistake (a plain single-layer push) instead of only the generic rule. */
function layoutMessage(url: string, image: ImageExamination): string {
  const m = image.manifest;
  if (!m) return `${url}: ${image.layoutError!.message}`;
  const layers = m.layers;
  if (layers.length === 1) {
    return `${url} is a single-layer image (layer ${layers[0]!.mediaType}, config ${m.config.mediaType}): Istio's fetcher loads a Docker/OCI image whose last layer is tar+gzip holding plugin.wasm, or the wasm variant with exactly two layers; a plain single-layer push (e.g. "oras push") is refused as "unknown wasm image format"`;
  }
  return `${url}: ${image.layoutError!.message}`;
}

async function fetchHttp(s: Subject): Promise<FetchedModule> {
  let res: Response;
  try {
    res = await fetch(s.url);
  } catch (err) {
    return { findings: [finding('MW0102', s, `cannot fetch ${s.url}: ${(err as Error).message}`)] };
  }
  if (!res.ok)
    return {
      findings: [finding('MW0102', s, `${s.url} answered ${res.status} ${res.statusText}`, { status: res.status })],
    };
  const module = new Uint8Array(await res.arrayBuffer());
  return { module, moduleSha256: sha256Hex(module), findings: [] };
}
