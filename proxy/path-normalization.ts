// Istio's meshConfig.pathNormalization, applied to :path before any filter sees the request, so a
// rule on "/public" cannot be walked around with "/public/../orders" or "/public/%2e%2e/orders".
// Follows Envoy's connection manager (conn_manager_utility.cc maybeNormalizePath: escaped slashes
// first, then RFC 3986 normalization, then slash merging) and source/common/http/path_utility.cc
// (rfcNormalize on the part before '?', mergeSlashes keeping a leading and trailing '/'). The RFC
// step does what Chromium's url::CanonicalizePath, which Envoy calls, does to a path: '\' is a
// separator, percent-encoded unreserved characters are decoded, characters that may not appear
// in a path are percent-encoded, and '.'/'..' segments are resolved (never above the root).

/** Istio's values (MeshConfig.ProxyPathNormalization.NormalizationType). */
export const PATH_NORMALIZATIONS = ['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const;
export type PathNormalization = (typeof PATH_NORMALIZATIONS)[number];

/** Istio's default since 1.8. */
export const DEFAULT_PATH_NORMALIZATION: PathNormalization = 'BASE';

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const HEX = /^[0-9A-Fa-f]{2}$/;

/** Characters Chromium escapes in a path: controls, space, '"', '<', '>', '`', '{', '}', and non-ASCII. */
function mustEscape(code: number): boolean {
  return (
    code <= 0x20 ||
    code >= 0x7f ||
    code === 0x22 ||
    code === 0x3c ||
    code === 0x3e ||
    code === 0x60 ||
    code === 0x7b ||
    code === 0x7d
  );
}

/** RFC 3986 normalization of a path without its query (Envoy's canonicalPath). */
function rfcNormalize(path: string): string {
  let out = '';
  const bytes = Buffer.from(path, 'latin1');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x5c) {
      out += '/';
    } else if (c === 0x25 && HEX.test(String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0))) {
      const decoded = String.fromCharCode(Number.parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      // Other escapes stay exactly as sent (case included), as Chromium leaves them.
      out += UNRESERVED.test(decoded) ? decoded : `%${String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!)}`;
      i += 2;
    } else if (mustEscape(c)) {
      out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += String.fromCharCode(c);
  }
  if (!out.startsWith('/')) out = `/${out}`;
  // Remove dot segments (RFC 3986 5.2.4): a trailing '.' or '..' leaves the directory with a '/'.
  const segments = out.slice(1).split('/');
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') kept.pop();
      if (last) kept.push('');
      continue;
    }
    kept.push(s);
  }
  return `/${kept.join('/')}`;
}

/** Envoy's mergeSlashes: "//a///b/" -> "/a/b/". */
function mergeSlashes(path: string): string {
  if (!path.includes('//')) return path;
  const parts = path.split('/').filter((p) => p.length > 0);
  return `${path.startsWith('/') ? '/' : ''}${parts.join('/')}${path.endsWith('/') && parts.length > 0 ? '/' : ''}`;
}

/**
 * The path filters and the upstream see, under `mode`. The query string is kept as sent. Node's
 * request target is what the client sent, bytes as latin1 characters; the result is the same.
 */
export function normalizePath(target: string, mode: PathNormalization): string {
  if (mode === 'NONE') return target;
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  // Envoy's UNESCAPE_AND_FORWARD for escaped slashes: %2F and %5C become '/' and '\' before the rest.
  if (mode === 'DECODE_AND_MERGE_SLASHES') path = path.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  path = rfcNormalize(path);
  if (mode !== 'BASE') path = mergeSlashes(path);
  return path + query;
}
