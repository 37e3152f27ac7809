import { finding, type Finding } from './finding.js';
import type { FetchedModule } from './fetch-module.js';
import type { Subject } from './subject.js';

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/**
 * sha256 means two different things in a WasmPlugin: for oci:// it is the manifest digest,
 * for http(s):// the sha256 of the .wasm. Mixing them up is the most common cause of
 * "module checksum mismatch" in istio-agent's log, so say which value is wrong and which
 * value is right.
 */
export function checkDigests(s: Subject, f: FetchedModule): Finding[] {
  const out: Finding[] = [];
  const declared = hex(s.sha256.trim()).toLowerCase();
  if (s.url.startsWith('oci://')) {
    const urlDigest = /@(sha256:[a-f0-9]{64})$/.exec(s.url)?.[1];
    if (urlDigest && declared && hex(urlDigest) !== declared) {
      out.push(
        finding(
          'MW0203',
          s,
          `url pins ${urlDigest} but sha256 is ${declared}; Istio compares sha256 with the manifest digest it fetched`,
          { urlDigest, sha256: declared },
        ),
      );
    }
    const image = f.image;
    if (!image) return out;
    const manifestHex = hex(image.manifestDigest);
    if (declared && declared !== manifestHex) {
      if (f.moduleSha256 && declared === f.moduleSha256) {
        out.push(
          finding(
            'MW0201',
            s,
            `sha256 ${declared} is the sha256 of the module (plugin.wasm), but for an oci:// url Istio compares it with the manifest digest; set sha256: ${manifestHex}`,
            { wrong: declared, right: manifestHex, moduleSha256: f.moduleSha256, manifestDigest: image.manifestDigest },
          ),
        );
      } else {
        out.push(
          finding(
            'MW0202',
            s,
            `sha256 ${declared} is not the manifest digest of ${s.url} (now ${image.manifestDigest}) nor the module's sha256${f.moduleSha256 ? ` (${f.moduleSha256})` : ''}; if the image is the one you meant, set sha256: ${manifestHex}`,
            {
              wrong: declared,
              right: manifestHex,
              manifestDigest: image.manifestDigest,
              ...(f.moduleSha256 ? { moduleSha256: f.moduleSha256 } : {}),
            },
          ),
        );
      }
    }
    const tag = tagOf(s.url);
    if (!urlDigest && !declared && (tag === undefined || tag === 'latest')) {
      out.push(
        finding(
          'MW0204',
          s,
          `${s.url} ${tag ? 'uses the tag :latest' : 'has no tag (so :latest)'} and no digest: Istio defaults imagePullPolicy to Always for :latest, and each proxy loads whatever the tag points at when it fetches; pin it with url ${s.url.replace(/:latest$/, '')}@${image.manifestDigest} or sha256: ${manifestHex}`,
          {
            manifestDigest: image.manifestDigest,
            ...(s.imagePullPolicy ? { imagePullPolicy: s.imagePullPolicy } : {}),
          },
        ),
      );
    }
    return out;
  }
  // http(s)://, file:// and Envoy remote code: sha256 is the module's own hash.
  if (declared && f.moduleSha256 && declared !== f.moduleSha256) {
    out.push(
      finding(
        'MW0202',
        s,
        `sha256 ${declared} is not the sha256 of the module ${s.url} serves; for ${s.url.split(':')[0]} urls sha256 is the module's hash: set sha256: ${f.moduleSha256}`,
        { wrong: declared, right: f.moduleSha256 },
      ),
    );
  }
  return out;
}

function tagOf(url: string): string | undefined {
  const name = url.slice('oci://'.length).split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : undefined;
}
