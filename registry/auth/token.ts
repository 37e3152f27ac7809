import { RegistryError } from '../errors.js';
import { send, type TransportOptions } from '../client/http.js';
import { basicHeader, type Credentials } from './credentials.js';

export interface TokenRequest {
  realm: string;
  service?: string;
  scopes: string[];
  credentials?: Credentials;
  registry: string;
}

export interface Token {
  token: string;
  /** ms since epoch after which the token must not be reused. */
  expiresAt: number;
}

/**
 * The distribution token flow: GET realm?service=&scope= with Basic credentials (or none), or
 * the OAuth2 POST with a refresh token when the login gave an identity token.
 */
export async function fetchToken(req: TokenRequest, transport: TransportOptions): Promise<Token> {
  let realm: URL;
  try {
    realm = new URL(req.realm);
  } catch {
    throw new RegistryError('remote', `registry ${req.registry} named a token realm "${req.realm}" that is not a URL`);
  }
  // Credentials (a password or a refresh token) travel to the realm only over TLS, or to the
  // registry's own host: a plain-http realm elsewhere is asked anonymously, so a registry that
  // names someone else's http:// realm never gets them sent in clear text across the network.
  const withheld = req.credentials !== undefined && !mayCarryCredentials(realm, req.registry);
  const c = withheld ? undefined : req.credentials;
  let res: Awaited<ReturnType<typeof send>>;
  if (c?.identityToken) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: c.identityToken,
      client_id: 'meshwasm',
      service: req.service ?? '',
      scope: req.scopes.join(' '),
    });
    res = await send(
      {
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        maxBytes: 1 << 20,
      },
      transport,
    );
  } else {
    const url = new URL(realm);
    if (req.service) url.searchParams.set('service', req.service);
    for (const s of req.scopes) url.searchParams.append('scope', s);
    if (c?.username) url.searchParams.set('account', c.username);
    res = await send(
      {
        method: 'GET',
        url,
        headers:
          c?.username !== undefined && c.password !== undefined
            ? { authorization: basicHeader({ username: c.username, password: c.password }) }
            : {},
        maxBytes: 1 << 20,
      },
      transport,
    );
  }
  if ((res.status === 401 || res.status === 403) && withheld) {
    throw new RegistryError(
      'auth',
      `token server ${realm.host} answered ${res.status} to an anonymous request for ${req.registry}: meshwasm did not send your credentials because that realm is plain http:// on another host than the registry; serve the token realm over https (or from the registry's own host)`,
      res.status,
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new RegistryError(
      'auth',
      `token server ${realm.host} refused ${c ? 'the stored credentials' : 'anonymous access'} for ${req.registry} (${res.status}); run "meshwasm login ${req.registry}" or pass --username`,
      res.status,
    );
  }
  if (res.status !== 200)
    throw new RegistryError(
      'remote',
      `token server ${realm.host} answered ${res.status} for ${req.registry}`,
      res.status,
    );
  let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
  try {
    body = JSON.parse(res.body.toString('utf8')) as typeof body;
  } catch {
    throw new RegistryError('remote', `token server ${realm.host} answered with something that is not JSON`);
  }
  const token = body.token ?? body.access_token;
  if (!token) throw new RegistryError('remote', `token server ${realm.host} answered without a token`);
  // The spec's default lifetime is 60 s; renew a little early so a token never expires mid-upload.
  const lifetime = Math.max(10, body.expires_in ?? 60);
  const issued = body.issued_at ? Date.parse(body.issued_at) : Date.now();
  return { token, expiresAt: (Number.isFinite(issued) ? issued : Date.now()) + (lifetime - 5) * 1000 };
}

/** https:// anywhere, or any scheme on the registry's own host name (loopback test registries). */
export function mayCarryCredentials(realm: URL, registry: string): boolean {
  if (realm.protocol === 'https:') return true;
  let registryHost: string;
  try {
    registryHost = new URL(`http://${registry}`).hostname;
  } catch {
    return false;
  }
  return realm.hostname === registryHost;
}
