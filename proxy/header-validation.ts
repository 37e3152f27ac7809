import type { HeaderPairs } from '../host-sim/abi/memory.js';

// What filters hand the proxy is checked here before node:http (our codec) sees it: node throws
// on what it cannot encode, and a throw inside a callback would take the process down. The rules
// are Envoy's (source/common/http/header_utility.cc: headerNameIsValid, headerValueIsValid,
// authorityIsValid, checkRequiredRequestHeaders/checkRequiredResponseHeaders), narrowed where
// node:http's own checks (lib/_http_common.js) are stricter, since node is what writes the bytes.

/** RFC 9110 token: header names and methods. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: no CR, LF, NUL or other control bytes; node also refuses code points past 0xff. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A request target as node sends it: no space, no control byte, nothing past 0xff. */
const PATH = /^[\x21-\x7e\x80-\xff]+$/;
/** nghttp2_check_authority's alphabet (what Envoy's authorityIsValid accepts). */
const AUTHORITY = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*$/;

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);

function checkPairs(pairs: HeaderPairs, what: string): string | undefined {
  for (const [k, v] of pairs) {
    if (k.startsWith(':')) continue;
    if (!TOKEN.test(k)) return `invalid ${what} header name ${show(k)}`;
    if (!VALUE.test(v)) return `invalid value of ${what} header ${show(k)}`;
  }
  return undefined;
}

/** Why a request, as the filters left it, cannot go upstream; undefined when it can. */
export function invalidRequestHeaders(h: HeaderPairs): string | undefined {
  const get = (n: string) => h.find(([k]) => k === n)?.[1];
  const method = get(':method');
  if (method === undefined) return 'missing required header: :method';
  if (!TOKEN.test(method)) return `invalid :method ${show(method)}`;
  const path = get(':path');
  if (path === undefined) return 'missing required header: :path';
  if (!PATH.test(path)) return `invalid :path ${show(path)}`;
  const authority = get(':authority');
  if (authority !== undefined && !AUTHORITY.test(authority)) return `invalid :authority ${show(authority)}`;
  return checkPairs(h, 'request');
}

/**
 * Why a response, as the filters left it, cannot go to the client; undefined when it can. A final
 * response needs a three-digit status of 200-999: node:http cannot write a code outside
 * 100-999, and a 1xx is informational, never the answer.
 */
export function invalidResponseHeaders(h: HeaderPairs): string | undefined {
  const status = h.find(([k]) => k === ':status')?.[1];
  if (status === undefined) return 'missing required header: :status';
  if (!/^[0-9]{3}$/.test(status) || Number(status) < 200) return `invalid :status ${show(status)}`;
  return checkPairs(h, 'response');
}

/** Why trailers cannot be sent; undefined when they can. */
export function invalidTrailers(t: HeaderPairs): string | undefined {
  return checkPairs(t, 'trailer');
}
