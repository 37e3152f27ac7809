import { sign, type KeyObject } from 'node:crypto';
import { openTarget, sha256Digest } from '../../../registry/index.js';

/**
 * Writes a signature the way cosign before the bundle format did (sigstore/cosign
 * specs/SIGNATURE_SPEC.md): an OCI manifest tagged `sha256-<hex>.sig` whose layer is the
 * simple-signing payload, with the base64 ECDSA signature in the layer's annotation. There is
 * no cosign binary here, so this follows the spec byte for byte instead.
 */
export async function writeCosignLegacySignature(
  repository: string,
  manifestDigest: string,
  key: KeyObject,
  signedDigest = manifestDigest,
): Promise<void> {
  const { target } = openTarget(`${repository}@${manifestDigest}`);
  const payload = new TextEncoder().encode(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': repository },
        image: { 'docker-manifest-digest': signedDigest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  const signature = sign('sha256', payload, key).toString('base64');
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: '',
      os: '',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256Digest(payload)] },
    }),
  );
  const layer = {
    mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
    digest: sha256Digest(payload),
    size: payload.byteLength,
    annotations: { 'dev.cosignproject.cosign/signature': signature },
  };
  const configDesc = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: sha256Digest(config),
    size: config.byteLength,
  };
  await target.push(configDesc, config);
  await target.push(layer, payload);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: configDesc,
      layers: [layer],
    }),
  );
  const desc = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: sha256Digest(manifest),
    size: manifest.byteLength,
  };
  await target.pushTagged(desc, manifest, `${manifestDigest.replace(':', '-')}.sig`);
}
