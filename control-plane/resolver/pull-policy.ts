import type { PullPolicy } from '../manifest/extension.js';

/**
 * Istio's pull policies (pkg/wasm/cache.go): for oci://, Always re-resolves, IfNotPresent reuses
 * what is cached, and the default reuses unless the tag is :latest. http(s):// has Always
 * semantics in Istio; meshwasm reuses an http module only when the manifest pins its sha256
 * (the content cannot have changed then), see docs/decisions.md.
 */
export function mayUseCache(policy: PullPolicy, url: string, pinnedSha256: boolean): boolean {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (policy === 'Always') return false;
  if (scheme === 'oci') return policy === 'IfNotPresent' || !url.endsWith(':latest');
  return pinnedSha256;
}

/** The cache's module name: the URL without tag or digest (Istio's urlAsResourceName). */
export function urlWithoutTag(url: string): string {
  if (!url.toLowerCase().startsWith('oci://')) return url;
  const rest = url.slice('oci://'.length);
  const at = rest.indexOf('@');
  const noDigest = at >= 0 ? rest.slice(0, at) : rest;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  // A colon after the last slash is a tag; one before it belongs to host:port.
  return 'oci://' + (colon > slash ? noDigest.slice(0, colon) : noDigest);
}

/** The digest pinned in an oci://...@sha256:HEX url, if any. */
export function digestInUrl(url: string): string | undefined {
  const m = /@sha256:([a-f0-9]{64})$/.exec(url);
  return m?.[1];
}
