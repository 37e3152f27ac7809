import { createHash, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type RequestSpec } from '../../../host-sim/harness/index.js';
import { releaseModule } from './build-module.js';

// Tokens are signed here with node:crypto and verified inside the filter, so the filter's
// SHA-256, HMAC, RSA and P-256 code is checked against an independent implementation.
const NOW_S = 1_700_000_000;
const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa3072 = generateKeyPairSync('rsa', { modulusLength: 3072 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function jwt(
  alg: 'HS256' | 'RS256' | 'ES256',
  claims: Record<string, unknown>,
  opts: { key?: KeyObject; secret?: string; kid?: string; header?: Record<string, unknown> } = {},
) {
  const header = b64u(JSON.stringify({ alg, typ: 'JWT', ...(opts.kid ? { kid: opts.kid } : {}), ...opts.header }));
  const input = `${header}.${b64u(JSON.stringify(claims))}`;
  let sig: Buffer;
  if (alg === 'HS256')
    sig = createHmac('sha256', opts.secret ?? SECRET)
      .update(input)
      .digest();
  else if (alg === 'RS256') sig = sign('sha256', Buffer.from(input), opts.key ?? rsa.privateKey);
  else sig = sign('sha256', Buffer.from(input), { key: opts.key ?? ec.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64u(sig)}`;
}

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  iss: 'https://issuer.example',
  aud: 'orders',
  exp: NOW_S + 300,
  ...extra,
});

const jwks = [
  { kty: 'oct', kid: 'hs', k: b64u(SECRET), alg: 'HS256' },
  { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa', alg: 'RS256' },
  { ...rsa3072.publicKey.export({ format: 'jwk' }), kid: 'rsa3072' },
  { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec' },
];

const baseConfig = {
  defaultAction: 'deny',
  realm: 'orders',
  rules: [
    { name: 'health', match: { methods: ['GET'], path: { exact: '/healthz' } }, action: 'allow' },
    {
      name: 'admin-blocked',
      match: { path: { prefix: '/admin/' } },
      action: 'deny',
      deny: { status: 403, body: 'admins only', headers: { 'x-denied-by': 'authz' } },
    },
    { name: 'versioned', match: { path: { regex: '^/v[0-9]+/items/\\d+$' } }, action: 'allow' },
    { name: 'internal-host', match: { hosts: ['*.internal.example'] }, action: 'allow' },
    { name: 'canary-header', match: { headers: [{ name: 'x-canary', exact: 'yes' }] }, action: 'allow' },
    { name: 'no-debug', match: { headers: [{ name: 'x-debug', present: true }] }, action: 'deny' },
    {
      name: 'team-header',
      match: { headers: [{ name: 'X-Team', suffix: 'Équipe-OPS', ignoreCase: true }] },
      action: 'allow',
    },
    {
      name: 'office',
      match: { path: { prefix: '/office/' }, sourceAddresses: ['10.0.0.0/8', '192.168.1.7'] },
      action: 'allow',
    },
    {
      name: 'mesh-peer',
      match: { path: { prefix: '/mesh/' }, principals: [{ prefix: 'spiffe://cluster.local/ns/shop/' }] },
      action: 'allow',
    },
    { name: 'api', match: { path: { prefix: '/api/' } }, action: 'allow', authenticate: ['jwt', 'apiKey'] },
    { name: 'partner', match: { path: { prefix: '/partner/' } }, action: 'allow', extAuthz: true },
  ],
  jwt: {
    issuers: ['https://issuer.example'],
    audiences: ['orders'],
    clockSkewSeconds: 30,
    keys: jwks,
    forwardClaims: { sub: 'x-user', groups: 'x-groups' },
  },
  apiKeys: {
    header: 'x-api-key',
    queryParam: 'api_key',
    keys: [
      { name: 'ci', key: 'ci-key-123' },
      { name: 'partner', sha256: createHash('sha256').update('partner-key-456').digest('hex') },
    ],
  },
  extAuthz: { cluster: 'authz', pathPrefix: '/check', timeoutMs: 200, upstreamHeaders: ['x-partner-id'] },
};

let wasm: string;
beforeAll(async () => {
  wasm = await releaseModule();
});

const req = (path: string, headers: Record<string, string> = {}, extra: Partial<RequestSpec> = {}): RequestSpec => ({
  headers: { ':method': 'GET', ':path': path, ':authority': 'shop.example', ...headers },
  ...extra,
});

async function harness(config: unknown = baseConfig, clusters: Parameters<typeof createHarness>[0]['clusters'] = {}) {
  return createHarness({ module: wasm, config, clusters, startTimeMs: NOW_S * 1000 });
}

describe('authz release module', () => {
  // The same module every test below runs: rules, API keys, JWT verification (HS256, RS256 and
  // ES256 in the module) and ext authz. KB as the other filters' tests count it: 1024 bytes.
  it('is under 48 KB with JWT verification and gRPC ext-authz included', () => {
    expect(statSync(wasm).size).toBeLessThan(48 * 1024);
  });
});

describe('authz rules (first match wins)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });

  const cases: { name: string; spec: RequestSpec; status: number; reached: boolean; body?: RegExp }[] = [
    { name: 'exact path + method allows', spec: req('/healthz'), status: 200, reached: true },
    {
      name: 'exact path with another method falls to default deny',
      spec: req('/healthz', { ':method': 'POST' }),
      status: 403,
      reached: false,
    },
    { name: 'exact path ignores the query string', spec: req('/healthz?verbose=1'), status: 200, reached: true },
    {
      name: 'prefix deny with configured body and headers',
      spec: req('/admin/users'),
      status: 403,
      reached: false,
      body: /admins only/,
    },
    { name: 'regex path allows', spec: req('/v2/items/42'), status: 200, reached: true },
    { name: 'regex path anchored at the end', spec: req('/v2/items/42/edit'), status: 403, reached: false },
    {
      name: 'wildcard host allows (port ignored)',
      spec: req('/x', { ':authority': 'billing.internal.example:8080' }),
      status: 200,
      reached: true,
    },
    {
      name: 'bare suffix host does not match the wildcard',
      spec: req('/x', { ':authority': 'internal.example' }),
      status: 403,
      reached: false,
    },
    { name: 'header value allows', spec: req('/x', { 'x-canary': 'yes' }), status: 200, reached: true },
    { name: 'header value mismatch falls through', spec: req('/x', { 'x-canary': 'no' }), status: 403, reached: false },
    {
      name: 'ignoreCase folds ASCII letters of a 64 KiB value',
      spec: req('/x', { 'x-team': 'a'.repeat(65536) + 'ÉQUIPE-Ops' }),
      status: 200,
      reached: true,
    },
    {
      name: 'ignoreCase leaves non-ASCII letters as they are',
      spec: req('/x', { 'x-team': 'éQUIPE-OPS' }),
      status: 403,
      reached: false,
    },
    { name: 'header presence denies', spec: req('/healthz2', { 'x-debug': '' }), status: 403, reached: false },
    {
      name: 'earlier rule wins over a later deny',
      spec: req('/healthz', { 'x-debug': '1' }),
      status: 200,
      reached: true,
    },
    {
      name: 'source CIDR allows',
      spec: req('/office/a', {}, { properties: { 'source.address': '10.20.30.40:5555' } }),
      status: 200,
      reached: true,
    },
    {
      name: 'source exact address allows',
      spec: req('/office/a', {}, { properties: { 'source.address': '192.168.1.7:80' } }),
      status: 200,
      reached: true,
    },
    {
      name: 'source outside the ranges denies',
      spec: req('/office/a', {}, { properties: { 'source.address': '11.0.0.1:5555' } }),
      status: 403,
      reached: false,
    },
    {
      name: 'principal prefix allows',
      spec: req(
        '/mesh/x',
        {},
        { properties: { 'connection.uri_san_peer_certificate': 'spiffe://cluster.local/ns/shop/sa/web' } },
      ),
      status: 200,
      reached: true,
    },
    {
      name: 'other principal denies',
      spec: req(
        '/mesh/x',
        {},
        { properties: { 'connection.uri_san_peer_certificate': 'spiffe://cluster.local/ns/other/sa/web' } },
      ),
      status: 403,
      reached: false,
    },
    { name: 'no principal (no mTLS) denies', spec: req('/mesh/x'), status: 403, reached: false },
    { name: 'unicode path falls to default deny', spec: req('/ünïcødé/☃'), status: 403, reached: false },
    {
      name: 'very long path still matched by prefix',
      spec: req('/admin/' + 'a'.repeat(20000)),
      status: 403,
      reached: false,
      body: /admins only/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const r = await h.request(c.spec);
      expect(r.trap).toBeUndefined();
      expect(r.downstream.status).toBe(c.status);
      expect(r.upstream.reached).toBe(c.reached);
      if (c.body) expect(r.downstream.body).toMatch(c.body);
    });
  }

  it('sends the configured deny headers', async () => {
    const r = await h.request(req('/admin/x'));
    expect(r.downstreamHeader('x-denied-by')).toBe('authz');
  });

  it('counts allowed and denied requests', async () => {
    const before = [h.metric('authz_allowed_total') ?? 0, h.metric('authz_denied_total') ?? 0];
    await h.request(req('/healthz'));
    await h.request(req('/nope'));
    expect(h.metric('authz_allowed_total')).toBe(before[0]! + 1);
    expect(h.metric('authz_denied_total')).toBe(before[1]! + 1);
  });

  it('survives many headers', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 200; i++) headers[`x-h-${i}`] = `v${i}`;
    const r = await h.request(req('/v1/items/7', headers));
    expect(r.downstream.status).toBe(200);
  });

  it('default allow lets unmatched requests through', async () => {
    const open = await harness({
      defaultAction: 'allow',
      rules: [{ match: { path: { prefix: '/private' } }, action: 'deny' }],
    });
    expect((await open.request(req('/public'))).downstream.status).toBe(200);
    expect((await open.request(req('/private/x'))).downstream.status).toBe(403);
  });
});

describe('authz JWT', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  const cases: { name: string; token: () => string; ok: boolean; reason?: RegExp }[] = [
    { name: 'HS256 valid', token: () => jwt('HS256', claims(), { kid: 'hs' }), ok: true },
    { name: 'HS256 without kid (tries every HS256 key)', token: () => jwt('HS256', claims()), ok: true },
    {
      name: 'HS256 wrong secret',
      token: () => jwt('HS256', claims(), { secret: 'another-secret-that-is-long-enough-x' }),
      ok: false,
      reason: /verification fails/,
    },
    { name: 'RS256 2048 valid', token: () => jwt('RS256', claims(), { kid: 'rsa' }), ok: true },
    {
      name: 'RS256 3072 valid',
      token: () => jwt('RS256', claims(), { kid: 'rsa3072', key: rsa3072.privateKey }),
      ok: true,
    },
    {
      name: 'RS256 signed by another key',
      token: () => jwt('RS256', claims(), { kid: 'rsa', key: rsa3072.privateKey }),
      ok: false,
      reason: /verification fails/,
    },
    { name: 'ES256 valid', token: () => jwt('ES256', claims(), { kid: 'ec' }), ok: true },
    {
      name: 'ES256 signed by another key',
      token: () => jwt('ES256', claims(), { kid: 'ec', key: otherEc.privateKey }),
      ok: false,
      reason: /verification fails/,
    },
    {
      name: 'expired beyond the skew',
      token: () => jwt('HS256', claims({ exp: NOW_S - 31 })),
      ok: false,
      reason: /expired/,
    },
    { name: 'expired within the skew', token: () => jwt('HS256', claims({ exp: NOW_S - 29 })), ok: true },
    {
      name: 'not yet valid',
      token: () => jwt('HS256', claims({ nbf: NOW_S + 120 })),
      ok: false,
      reason: /not yet valid/,
    },
    { name: 'nbf within the skew', token: () => jwt('HS256', claims({ nbf: NOW_S + 20 })), ok: true },
    {
      name: 'missing exp',
      token: () => jwt('HS256', { sub: 'a', iss: 'https://issuer.example', aud: 'orders' }),
      ok: false,
      reason: /no exp/,
    },
    {
      name: 'wrong issuer',
      token: () => jwt('HS256', claims({ iss: 'https://evil.example' })),
      ok: false,
      reason: /issuer/,
    },
    { name: 'wrong audience', token: () => jwt('HS256', claims({ aud: 'billing' })), ok: false, reason: /Audiences/ },
    {
      name: 'audience list containing ours',
      token: () => jwt('HS256', claims({ aud: ['billing', 'orders'] })),
      ok: true,
    },
    {
      name: 'alg none refused',
      token: () => `${b64u('{"alg":"none"}')}.${b64u(JSON.stringify(claims()))}.`,
      ok: false,
      reason: /not accepted/,
    },
    {
      name: 'alg confusion: HS256 signed with the RSA public key',
      token: () =>
        jwt('HS256', claims(), {
          kid: 'rsa',
          secret: rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        }),
      ok: false,
      reason: /no matching key|verification fails/,
    },
    {
      name: 'unknown kid',
      token: () => jwt('RS256', claims(), { kid: 'missing' }),
      ok: false,
      reason: /no matching key/,
    },
    {
      name: 'tampered payload',
      token: () => {
        const [a, , c] = jwt('HS256', claims()).split('.');
        return `${a}.${b64u(JSON.stringify(claims({ sub: 'mallory' })))}.${c}`;
      },
      ok: false,
      reason: /verification fails/,
    },
    { name: 'two segments only', token: () => 'abc.def', ok: false, reason: /Header.Payload.Signature/ },
    { name: 'garbage', token: () => '!!!.***.###', ok: false },
    {
      name: 'critical header extension',
      token: () => jwt('HS256', claims(), { header: { crit: ['exp'] } }),
      ok: false,
      reason: /critical/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const r = await h.request(req('/api/orders', bearer(c.token())));
      expect(r.trap).toBeUndefined();
      if (c.ok) {
        expect(r.downstream.status).toBe(200);
        expect(r.upstreamHeader('x-user')).toBe('alice');
        expect(r.upstreamHeader('authorization')).toBeUndefined(); // forwardToken: false
      } else {
        expect(r.downstream.status).toBe(401);
        expect(r.upstream.reached).toBe(false);
        const challenge = r.downstreamHeader('www-authenticate') ?? '';
        expect(challenge).toMatch(/^Bearer realm="orders", error="invalid_token"/);
        if (c.reason) expect(challenge).toMatch(c.reason);
      }
    });
  }

  it('quotes in a rejected token cannot break out of the challenge (each becomes an apostrophe)', async () => {
    const header = b64u(JSON.stringify({ alg: '"x"' + '"'.repeat(3000), typ: 'JWT' }));
    const token = `${header}.${b64u(JSON.stringify(claims()))}.c2ln`;
    const r = await h.request(req('/api/orders', bearer(token)));
    expect(r.downstream.status).toBe(401);
    // The message was: Jwt algorithm ""x"""..." is not accepted
    const description = `Jwt algorithm ''x'${"'".repeat(3000)}' is not accepted`;
    expect(r.downstreamHeader('www-authenticate')).toBe(
      `Bearer realm="orders", error="invalid_token", error_description="${description}"`,
    );
  });

  it('takes the token between the spaces and tabs around it', async () => {
    const r = await h.request(
      req('/api/orders', { authorization: `Bearer \t ${jwt('HS256', claims(), { kid: 'hs' })} \t` }),
    );
    expect(r.downstream.status).toBe(200);
    const inner = await h.request(
      req('/api/orders', { authorization: `Bearer ${jwt('HS256', claims(), { kid: 'hs' })}\u00a0` }),
    );
    expect(inner.downstream.status).toBe(401); // only HTTP's optional whitespace is trimmed
  });

  it('answers 401 with a bare challenge when no credential is sent', async () => {
    const r = await h.request(req('/api/orders'));
    expect(r.downstream.status).toBe(401);
    expect(r.downstreamHeader('www-authenticate')).toBe('Bearer realm="orders"');
    expect(h.metric('authz_unauthenticated_total')).toBeGreaterThan(0);
  });

  it('forwards array claims comma-joined and drops client-sent identity headers', async () => {
    const r = await h.request(
      req('/api/orders', {
        ...bearer(jwt('ES256', claims({ sub: 'bob', groups: ['admin', 'ops'] }))),
        'x-user': 'spoofed',
      }),
    );
    expect(r.upstreamHeader('x-user')).toBe('bob');
    expect(r.upstreamHeader('x-groups')).toBe('admin,ops');
  });

  it('strips a spoofed identity header even when no token is verified', async () => {
    const r = await h.request(req('/healthz', { 'x-user': 'spoofed', 'x-api-key-name': 'ci' }));
    expect(r.upstreamHeader('x-user')).toBeUndefined();
    expect(r.upstreamHeader('x-api-key-name')).toBeUndefined();
  });

  it('neutralises control characters in forwarded claims', async () => {
    const r = await h.request(req('/api/orders', bearer(jwt('HS256', claims({ sub: 'eve\r\nx-admin: 1' })))));
    expect(r.upstreamHeader('x-user')).toBe('eve  x-admin: 1');
  });

  it('forwards unicode claims as UTF-8', async () => {
    const r = await h.request(req('/api/orders', bearer(jwt('RS256', claims({ sub: 'zoë 日本' }), { kid: 'rsa' }))));
    expect(r.upstreamHeader('x-user')).toBe('zoë 日本');
  });

  it('re-checks exp on every request even after the signature was verified (cached)', async () => {
    const t = await harness();
    const token = jwt('RS256', claims({ exp: NOW_S + 60 }), { kid: 'rsa' });
    expect((await t.request(req('/api/o', bearer(token)))).downstream.status).toBe(200);
    expect((await t.request(req('/api/o', bearer(token)))).downstream.status).toBe(200);
    await t.tick(120_000);
    const r = await t.request(req('/api/o', bearer(token)));
    expect(r.downstream.status).toBe(401);
    expect(r.downstreamHeader('www-authenticate')).toMatch(/expired/);
  });

  it('keeps verifying correctly when more distinct tokens arrive than the cache holds', async () => {
    const t = await harness();
    for (let i = 0; i < 300; i++) {
      const good = jwt('HS256', claims({ sub: `user-${i}` }));
      expect((await t.request(req('/api/o', bearer(good)))).upstreamHeader('x-user')).toBe(`user-${i}`);
    }
    const forged = jwt('HS256', claims({ sub: 'user-5' }), { secret: 'not-the-secret-but-long-enough-0000' });
    expect((await t.request(req('/api/o', bearer(forged)))).downstream.status).toBe(401);
  });

  it('verifies a very long token (many claims) and re-verifies it each time', async () => {
    const t = await harness();
    const big = jwt('ES256', claims({ padding: 'p'.repeat(20_000) }), { kid: 'ec' });
    for (let i = 0; i < 3; i++) expect((await t.request(req('/api/o', bearer(big)))).downstream.status).toBe(200);
  });

  it('reads the token from a query parameter when configured', async () => {
    const q = await harness({ ...baseConfig, jwt: { ...baseConfig.jwt, queryParam: 'access_token' } });
    const r = await q.request(req(`/api/orders?access_token=${jwt('HS256', claims())}`));
    expect(r.downstream.status).toBe(200);
  });
});

describe('authz API keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  const cases: { name: string; spec: RequestSpec; status: number; owner?: string }[] = [
    { name: 'plain key in header', spec: req('/api/x', { 'x-api-key': 'ci-key-123' }), status: 200, owner: 'ci' },
    {
      name: 'hashed key in header',
      spec: req('/api/x', { 'x-api-key': 'partner-key-456' }),
      status: 200,
      owner: 'partner',
    },
    {
      name: 'key in query parameter (percent-encoded)',
      spec: req('/api/x?a=1&api_key=ci%2Dkey%2D123'),
      status: 200,
      owner: 'ci',
    },
    { name: 'unknown key', spec: req('/api/x', { 'x-api-key': 'nope' }), status: 401 },
    { name: 'empty key', spec: req('/api/x', { 'x-api-key': '' }), status: 401 },
    { name: 'unicode key', spec: req('/api/x', { 'x-api-key': 'clé-🔑' }), status: 401 },
    { name: 'very long key', spec: req('/api/x', { 'x-api-key': 'k'.repeat(65536) }), status: 401 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await h.request(c.spec);
      expect(r.downstream.status).toBe(c.status);
      if (c.owner) expect(r.upstreamHeader('x-api-key-name')).toBe(c.owner);
    });
  }

  it('many keys: each finds its own name; a key listed twice takes the later name', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => ({ name: `client-${i}`, key: `key-${i}` }));
    keys.push({ name: 'renamed', key: 'key-7' });
    const k = await harness({ rules: [{ action: 'allow', authenticate: ['apiKey'] }], apiKeys: { keys } });
    for (const [key, owner] of [
      ['key-0', 'client-0'],
      ['key-199', 'client-199'],
      ['key-7', 'renamed'],
    ]) {
      const r = await k.request(req('/x', { 'x-api-key': key! }));
      expect(r.downstream.status).toBe(200);
      expect(r.upstreamHeader('x-api-key-name')).toBe(owner);
    }
    expect((await k.request(req('/x', { 'x-api-key': 'key-200' }))).downstream.status).toBe(401);
  });

  it('challenges with ApiKey when only API keys are accepted', async () => {
    const k = await harness({ rules: [{ action: 'allow', authenticate: ['apiKey'] }], apiKeys: baseConfig.apiKeys });
    const r = await k.request(req('/x'));
    expect(r.downstream.status).toBe(401);
    expect(r.downstreamHeader('www-authenticate')).toBe('ApiKey realm="meshwasm", header="x-api-key"');
  });
});

describe('authz external authorization', () => {
  const partner = req('/partner/report?id=7', { authorization: 'Basic cDpx', cookie: 'session=1', 'x-other': 'no' });

  it('allows on 2xx, sends method/path/headers, copies configured answer headers upstream', async () => {
    const h = await harness(baseConfig, {
      authz: () => ({ status: 200, headers: { 'x-partner-id': 'p-17', 'x-ignored': '1' } }),
    });
    const r = await h.request(partner);
    expect(r.downstream.status).toBe(200);
    expect(r.upstreamHeader('x-partner-id')).toBe('p-17');
    expect(r.upstreamHeader('x-ignored')).toBeUndefined();
    const call = r.httpCalls[0]!;
    const sent = Object.fromEntries(call.headers);
    expect(call.cluster).toBe('authz');
    expect(call.timeoutMs).toBe(200);
    expect(sent[':path']).toBe('/check/partner/report?id=7');
    expect(sent[':authority']).toBe('authz');
    expect(sent.authorization).toBe('Basic cDpx');
    expect(sent.cookie).toBe('session=1');
    expect(sent['x-other']).toBeUndefined();
  });

  it('passes a denial through with the service status and body', async () => {
    const h = await harness(baseConfig, {
      authz: () => ({ status: 403, body: 'partner suspended', headers: { 'content-type': 'text/plain' } }),
    });
    const r = await h.request(partner);
    expect(r.downstream.status).toBe(403);
    expect(r.downstream.body).toBe('partner suspended');
    expect(r.upstream.reached).toBe(false);
  });

  const failures: {
    name: string;
    answer: 'timeout' | 'reset' | { status: number };
    failOpen: boolean;
    status: number;
  }[] = [
    { name: 'timeout, fail closed', answer: 'timeout', failOpen: false, status: 403 },
    { name: 'timeout, fail open', answer: 'timeout', failOpen: true, status: 200 },
    { name: 'reset, fail closed', answer: 'reset', failOpen: false, status: 403 },
    { name: 'reset, fail open', answer: 'reset', failOpen: true, status: 200 },
    { name: '503 from the service, fail closed', answer: { status: 503 }, failOpen: false, status: 403 },
  ];
  for (const f of failures) {
    it(f.name, async () => {
      const config = { ...baseConfig, extAuthz: { ...baseConfig.extAuthz, failOpen: f.failOpen } };
      const h = await harness(config, { authz: () => f.answer });
      const r = await h.request(partner);
      expect(r.downstream.status).toBe(f.status);
      expect(h.metric('authz_ext_authz_errors_total')).toBe(1);
    });
  }

  it('applies statusOnError when the cluster is unknown to the host', async () => {
    const config = { ...baseConfig, extAuthz: { ...baseConfig.extAuthz, cluster: 'missing', statusOnError: 503 } };
    const h = await harness(config, {});
    const r = await h.request(partner);
    expect(r.downstream.status).toBe(503);
  });
});

describe('authz configuration errors name the field', () => {
  const bad: { name: string; config: unknown; message: RegExp }[] = [
    { name: 'not JSON', config: '{rules: ', message: /not valid JSON/ },
    { name: 'not an object', config: '[]', message: /configuration: must be a JSON object/ },
    { name: 'unknown top-level field', config: { rulez: [] }, message: /configuration\.rulez: unknown field/ },
    { name: 'bad default action', config: { defaultAction: 'permit' }, message: /defaultAction: must be one of/ },
    { name: 'bad rule action', config: { rules: [{ action: 'maybe' }] }, message: /rules\[0\]\.action/ },
    {
      name: 'bad regex',
      config: { rules: [{ match: { path: { regex: '(unclosed' } } }] },
      message: /rules\[0\]\.match\.path\.regex: invalid pattern/,
    },
    {
      name: 'two path kinds',
      config: { rules: [{ match: { path: { exact: '/a', prefix: '/b' } } }] },
      message: /rules\[0\]\.match\.path: needs exactly one/,
    },
    {
      name: 'bad CIDR',
      config: { rules: [{ match: { sourceAddresses: ['10.0.0.0/33'] } }] },
      message: /rules\[0\]\.match\.sourceAddresses\[0\]/,
    },
    {
      name: 'address with five parts',
      config: { rules: [{ match: { sourceAddresses: ['10.0.0.0.1'] } }] },
      message: /rules\[0\]\.match\.sourceAddresses\[0\]: not an address/,
    },
    {
      name: 'address with an empty part',
      config: { rules: [{ match: { sourceAddresses: ['10..0.1/8'] } }] },
      message: /sourceAddresses\[0\]: not an address/,
    },
    {
      name: 'address part above 255',
      config: { rules: [{ match: { sourceAddresses: ['10.0.256.1'] } }] },
      message: /sourceAddresses\[0\]: not an address/,
    },
    {
      name: 'address part of four digits',
      config: { rules: [{ match: { sourceAddresses: ['10.0.0001.1'] } }] },
      message: /sourceAddresses\[0\]: not an address/,
    },
    {
      name: 'address with a trailing dot',
      config: { rules: [{ match: { sourceAddresses: ['10.0.0.1.'] } }] },
      message: /sourceAddresses\[0\]: not an address/,
    },
    {
      name: 'header without name',
      config: { rules: [{ match: { headers: [{ exact: 'x' }] } }] },
      message: /rules\[0\]\.match\.headers\[0\]\.name: is required/,
    },
    {
      name: 'jwt rule without jwt section',
      config: { rules: [{ authenticate: ['jwt'] }] },
      message: /rules\[0\]\.authenticate\[0\].*no "jwt" section/,
    },
    {
      name: 'unknown credential kind',
      config: { rules: [{ authenticate: ['password'] }] },
      message: /rules\[0\]\.authenticate\[0\]: must be one of/,
    },
    {
      name: 'short HS256 secret',
      config: { jwt: { keys: [{ kty: 'oct', k: b64u('short') }] } },
      message: /jwt\.keys\[0\]: HS256 secret must be at least 32 bytes/,
    },
    {
      name: 'EC point not on the curve',
      config: { jwt: { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), y: b64u(Buffer.alloc(32, 1)) }] } },
      message: /jwt\.keys\[0\]: x\/y is not a point on P-256/,
    },
    {
      name: 'even RSA modulus',
      config: {
        jwt: { keys: [{ kty: 'RSA', n: b64u(Buffer.concat([Buffer.from([0xc0]), Buffer.alloc(255, 2)])), e: 'AQAB' }] },
      },
      message: /jwt\.keys\[0\]: unusable RSA key: modulus must be odd/,
    },
    {
      name: 'RSA exponent above 64 bits',
      config: {
        jwt: {
          keys: [
            {
              ...rsa.publicKey.export({ format: 'jwk' }),
              e: b64u(Buffer.concat([Buffer.from([1]), Buffer.alloc(8, 0), Buffer.from([1])])),
            },
          ],
        },
      },
      message: /jwt\.keys\[0\]: unusable RSA key: exponent must be odd and at most 64 bits/,
    },
    {
      name: 'RSA exponent of 64 bits behind leading zeros is accepted',
      config: {
        jwt: {
          keys: [
            {
              ...rsa.publicKey.export({ format: 'jwk' }),
              e: b64u(Buffer.concat([Buffer.alloc(4, 0), Buffer.from([1, 0, 1])])),
            },
          ],
        },
        rules: [{ authenticate: ['x'] }],
      },
      message: /rules\[0\]\.authenticate\[0\]: must be one of/,
    },
    {
      name: 'EC coordinate of 33 bytes',
      config: { jwt: { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), x: b64u(Buffer.alloc(33, 1)) }] } },
      message: /jwt\.keys\[0\]: x\/y is not a point on P-256/,
    },
    {
      name: 'small RSA key',
      config: {
        jwt: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) }] },
      },
      message: /jwt\.keys\[0\]: unusable RSA key/,
    },
    {
      name: 'unsupported key type',
      config: { jwt: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA' }] } },
      message: /jwt\.keys\[0\]\.alg/,
    },
    {
      name: 'api key with both forms',
      config: { apiKeys: { keys: [{ key: 'a', sha256: 'b' }] } },
      message: /apiKeys\.keys\[0\]: needs exactly one/,
    },
    {
      name: 'api key hash not hex',
      config: { apiKeys: { keys: [{ sha256: 'xyz' }] } },
      message: /apiKeys\.keys\[0\]\.sha256: must be 64 hex digits/,
    },
    { name: 'extAuthz without cluster', config: { extAuthz: {} }, message: /extAuthz\.cluster: is required/ },
    {
      name: 'extAuthz timeout out of range',
      config: { extAuthz: { cluster: 'a', timeoutMs: -5 } },
      message: /extAuthz\.timeoutMs: must be between/,
    },
    {
      name: 'deny status out of range',
      config: { denied: { status: 99 } },
      message: /denied\.status: must be between/,
    },
  ];
  for (const b of bad) {
    it(b.name, async () => {
      await expect(harness(b.config)).rejects.toThrow(b.message);
    });
  }
});

describe('authz memory', () => {
  it('keeps linear memory flat over 20k requests (JWT, API key, deny)', async () => {
    const h = await harness();
    const token = jwt('HS256', claims({ groups: ['a', 'b'] }));
    const specs = [
      req('/api/o', { authorization: `Bearer ${token}` }),
      req('/api/o', { 'x-api-key': 'ci-key-123' }),
      req('/admin/x'),
      req('/v1/items/3'),
    ];
    for (let i = 0; i < 500; i++) await h.request(specs[i % specs.length]!);
    const warm = h.memoryBytes();
    for (let i = 0; i < 20_000; i++) {
      const r = await h.request(specs[i % specs.length]!);
      if (i % 4 === 0 && r.downstream.status !== 200) throw new Error(`request ${i} failed: ${r.downstream.status}`);
    }
    expect(h.memoryBytes()).toBe(warm);
  }, 300_000);

  it('keeps linear memory flat over RS256 and ES256 verifications (distinct tokens, cache churn)', async () => {
    const h = await harness();
    // Distinct tokens, so each request really verifies and the verified-token cache keeps churning.
    const spec = (i: number) =>
      req('/api/o', {
        authorization: `Bearer ${i % 2 ? jwt('RS256', claims({ jti: String(i) }), { kid: 'rsa' }) : jwt('ES256', claims({ jti: String(i) }), { kid: 'ec' })}`,
      });
    // The SDK collects every 32 requests (or on growth): warm up past a few collections.
    for (let i = 0; i < 300; i++) await h.request(spec(i));
    const warm = h.memoryBytes();
    for (let i = 300; i < 600; i++) expect((await h.request(spec(i))).downstream.status).toBe(200);
    expect(h.memoryBytes()).toBe(warm);
  }, 300_000);
});

describe('authz shipped example configuration', () => {
  it('config.example.json is accepted', async () => {
    // A project made by `meshwasm init` has it as config.json.
    const example = new URL('../config.example.json', import.meta.url);
    const config = readFileSync(existsSync(example) ? example : new URL('../config.json', import.meta.url), 'utf8');
    const h = await createHarness({ module: wasm, config });
    expect(h.logs.some((l) => l.level === 'info' && l.message.startsWith('authz: configured'))).toBe(true);
  });
});
