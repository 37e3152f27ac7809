import { execFileSync } from 'node:child_process';
import { createPrivateKey, createSign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
  /** Token requests seen, for asserting that tokens are cached. */
  requests: { scopes: string[]; user?: string }[];
  stop(): Promise<void>;
}

/**
 * A small token server in the distribution token-auth protocol: checks Basic credentials, grants
 * the requested repository actions to known users (nothing to anonymous callers), and signs an
 * RS256 JWT with an x5c chain that the real registry verifies against the rootcertbundle.
 */
export async function startTokenServer(
  dir: string,
  users: Record<string, string>,
  refreshTokens: Record<string, string> = {},
): Promise<TokenServer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=meshwasm-test-token',
    ],
    { stdio: 'ignore' },
  );
  const key = createPrivateKey(readFileSync(keyPath));
  const certDer = new X509Certificate(readFileSync(certPath)).raw.toString('base64');
  const service = 'meshwasm-test-registry';
  const issuer = 'meshwasm-test-issuer';
  const requests: TokenServer['requests'] = [];
  const b64u = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      // The OAuth2 flavour: a refresh token (docker's identitytoken) traded for an access token.
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const user = refreshTokens[form.get('refresh_token') ?? ''];
        if (form.get('grant_type') !== 'refresh_token' || !user) {
          res.writeHead(401).end('{"error":"invalid_grant"}');
          return;
        }
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        requests.push({ scopes, user });
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: mint(user, scopes), expires_in: 300 }));
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (!u || users[u] !== p.join(':')) {
        res.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      user = u;
    }
    requests.push({ scopes, user });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: mint(user, scopes), expires_in: 300, issued_at: new Date().toISOString() }));
  });

  function mint(user: string | undefined, scopes: string[]): string {
    const access = user
      ? scopes
          .map((s) => s.split(':'))
          .filter((p) => p.length >= 3)
          .map(([type, ...rest]) => {
            const actions = rest.pop()!.split(',');
            return { type, name: rest.join(':'), actions };
          })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: String(Math.random()),
      access,
    };
    const signing = `${b64u(header)}.${b64u(claims)}`;
    const sig = createSign('RSA-SHA256').update(signing).sign(key).toString('base64url');
    return `${signing}.${sig}`;
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certPath,
    requests,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
