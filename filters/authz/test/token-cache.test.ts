import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type RequestSpec } from '../../../host-sim/harness/index.js';
import { releaseModule } from './build-module.js';

// The cache of verified tokens (jwt_config.ts): a token seen before is not decoded and verified
// again, but its exp/nbf are checked on every request, the cache holds at most 256 tokens, and it
// lives with the configuration. Which path a request took is read from the filter's debug log
// ("jwt accepted (cached)"); the decisions are read from what the client and upstream saw.
const NOW_S = 1_700_000_000;
const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const OTHER_SECRET = 'another-secret-that-is-32-bytes-long!!';
const CACHE_SIZE = 256; // VERIFIED_CACHE_SIZE in assembly/jwt_config.ts
const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function hs256(claims: Record<string, unknown>, secret = SECRET): string {
  const input = `${b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${b64u(createHmac('sha256', secret).update(input).digest())}`;
}

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  iss: 'https://issuer.example',
  aud: 'orders',
  groups: ['buyers', 'admins'],
  exp: NOW_S + 300,
  ...extra,
});

const config = (secret = SECRET) => ({
  defaultAction: 'deny',
  rules: [{ name: 'api', match: { path: { prefix: '/api/' } }, action: 'allow', authenticate: ['jwt'] }],
  jwt: {
    issuers: ['https://issuer.example'],
    audiences: ['orders'],
    clockSkewSeconds: 30,
    keys: [{ kty: 'oct', kid: 'hs', k: b64u(secret), alg: 'HS256' }],
    forwardClaims: { sub: 'x-user', groups: 'x-groups' },
    forwardPayloadHeader: 'x-jwt-payload',
  },
});

const api = (token: string): RequestSpec => ({
  headers: { ':method': 'GET', ':path': '/api/orders', ':authority': 'shop.example', authorization: `Bearer ${token}` },
});

let wasm: string;
beforeAll(async () => {
  wasm = await releaseModule();
});

const harness = (secret?: string) => createHarness({ module: wasm, config: config(secret), startTimeMs: NOW_S * 1000 });

/** The filter's "jwt accepted" debug lines logged since `from`. */
function accepted(h: Harness, from: number): string[] {
  return h.logs
    .slice(from)
    .map((l) => l.message)
    .filter((m) => m.startsWith('authz: jwt accepted'));
}

describe('authz verified-token cache', () => {
  it('answers a token seen before from the cache with the same decision and forwarded claims', async () => {
    const h = await harness();
    const token = hs256(claims());
    const first = await h.request(api(token));
    const mark = h.logs.length;
    const second = await h.request(api(token));
    for (const r of [first, second]) {
      expect(r.downstream.status).toBe(200);
      expect(r.upstreamHeader('authorization')).toBeUndefined();
    }
    expect(second.upstreamHeader('x-user')).toBe(first.upstreamHeader('x-user'));
    expect(second.upstreamHeader('x-user')).toBe('alice');
    expect(second.upstreamHeader('x-groups')).toBe('buyers,admins');
    expect(second.upstreamHeader('x-jwt-payload')).toBe(first.upstreamHeader('x-jwt-payload'));
    expect(accepted(h, 0)[0]).toBe('authz: jwt accepted (sub "alice")');
    expect(accepted(h, mark)).toEqual(['authz: jwt accepted (cached) (sub "alice")']);

    // A rejected token is not remembered: it is refused the same way each time.
    const wrongAudience = hs256(claims({ aud: 'billing' }));
    for (let i = 0; i < 2; i++) {
      const r = await h.request(api(wrongAudience));
      expect(r.downstream.status).toBe(401);
      expect(r.downstreamHeader('www-authenticate')).toMatch(/Audiences in Jwt are not allowed/);
    }
  });

  it('denies a cached token once its exp has passed (checked at use, with the clock skew)', async () => {
    const h = await harness();
    const token = hs256(claims({ exp: NOW_S + 60 }));
    expect((await h.request(api(token))).downstream.status).toBe(200);
    await h.tick(80_000); // 80 s later: past exp, within exp + 30 s skew
    const mark = h.logs.length;
    expect((await h.request(api(token))).downstream.status).toBe(200);
    expect(accepted(h, mark)).toEqual(['authz: jwt accepted (cached) (sub "alice")']);
    await h.tick(20_000); // 100 s: past exp + skew
    const expired = await h.request(api(token));
    expect(expired.downstream.status).toBe(401);
    expect(expired.upstream.reached).toBe(false);
    expect(expired.downstreamHeader('www-authenticate')).toMatch(/Jwt is expired/);
  });

  it('does not remember a token refused before its nbf: once valid it is verified in full', async () => {
    const h = await harness();
    const token = hs256(claims({ nbf: NOW_S + 100 }));
    const early = await h.request(api(token));
    expect(early.downstream.status).toBe(401);
    expect(early.downstreamHeader('www-authenticate')).toMatch(/not yet valid/);
    await h.tick(80_000); // within nbf - 30 s skew
    const mark = h.logs.length;
    expect((await h.request(api(token))).downstream.status).toBe(200);
    expect(accepted(h, mark)).toEqual(['authz: jwt accepted (sub "alice")']);
  });

  it(`holds at most ${CACHE_SIZE} tokens, replacing the oldest`, async () => {
    const h = await harness();
    const tokens = Array.from({ length: CACHE_SIZE + 1 }, (_, i) => hs256(claims({ sub: `user-${i}` })));
    for (const t of tokens) expect((await h.request(api(t))).downstream.status).toBe(200);
    // The 257th token took the oldest slot: user-0 is verified again, user-1 is still cached.
    let mark = h.logs.length;
    expect((await h.request(api(tokens[1]!))).upstreamHeader('x-user')).toBe('user-1');
    expect(accepted(h, mark)).toEqual(['authz: jwt accepted (cached) (sub "user-1")']);
    mark = h.logs.length;
    expect((await h.request(api(tokens[0]!))).upstreamHeader('x-user')).toBe('user-0');
    expect(accepted(h, mark)).toEqual(['authz: jwt accepted (sub "user-0")']);
  });

  it('starts empty on reconfiguration: a token cached under the old keys is verified against the new ones', async () => {
    const h = await harness();
    const token = hs256(claims());
    expect((await h.request(api(token))).downstream.status).toBe(200);
    // A configuration update is a new plugin on the same VM (Envoy keeps the VM when only the
    // plugin configuration changes), so module globals survive and only the configuration is new.
    const sameKeys = await h.addPlugin({ config: config(), pluginName: 'same-keys' });
    expect(sameKeys.vm).toBe(h.vm);
    let mark = h.logs.length;
    expect((await h.requestThrough([sameKeys], api(token))).downstream.status).toBe(200);
    expect(accepted(h, mark)).toEqual(['authz: jwt accepted (sub "alice")']);
    const newKeys = await h.addPlugin({ config: config(OTHER_SECRET), pluginName: 'new-keys' });
    mark = h.logs.length;
    const refused = await h.requestThrough([newKeys], api(token));
    expect(refused.downstream.status).toBe(401);
    expect(refused.downstreamHeader('www-authenticate')).toMatch(/Jwt verification fails/);
    expect(accepted(h, mark)).toEqual([]);
  });
});
