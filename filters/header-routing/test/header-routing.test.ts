import { existsSync, readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type RequestSpec } from '../../../host-sim/harness/index.js';
import { releaseModule } from './build-module.js';

let wasm: string;
beforeAll(async () => {
  wasm = await releaseModule();
});

const req = (path: string, headers: Record<string, string> = {}, method = 'GET'): RequestSpec => ({
  headers: { ':method': method, ':path': path, ':authority': 'shop.example', ...headers },
  response: { headers: { ':status': '200', server: 'envoy', 'x-upstream-version': '1' } },
});

const config = {
  routeHeader: 'x-route-to',
  defaultRoute: 'stable',
  rules: [
    { name: 'beta-header', match: { headers: [{ name: 'x-beta', exact: 'on' }] }, route: 'beta' },
    {
      name: 'debug-query',
      match: { query: [{ name: 'debug', exact: '1' }] },
      route: 'debug',
      requestHeaders: { set: { 'x-debug': 'true' } },
    },
    { name: 'beta-cookie', match: { cookies: [{ name: 'channel', prefix: 'beta' }] }, route: 'beta-cookie' },
    {
      name: 'legacy-api',
      match: { methods: ['POST'], path: { prefix: '/legacy/' } },
      route: 'legacy',
      rewrite: { prefix: { from: '/legacy', to: '/v1' }, authority: 'legacy.internal' },
    },
    { name: 'items', match: { path: { regex: '^/items/[0-9]+$' } }, route: 'items', rewrite: { path: '/item-by-id' } },
    {
      name: 'no-agent',
      match: { headers: [{ name: 'user-agent', present: false }], path: { exact: '/robots' } },
      route: 'bots',
    },
    {
      name: 'edits',
      match: { path: { prefix: '/edit' } },
      requestHeaders: {
        set: { 'x-set': 'one' },
        add: { 'x-multi': 'added' },
        remove: ['x-secret'],
        rename: { 'x-old-name': 'x-new-name' },
      },
      responseHeaders: {
        set: { 'cache-control': 'no-store' },
        remove: ['server'],
        rename: { 'x-upstream-version': 'x-version' },
      },
    },
    {
      name: 'reviews',
      match: { path: { prefix: '/reviews' } },
      route: 'reviews-v1',
      canary: { route: 'reviews-v2', percent: 20, hashHeader: 'x-user-id' },
    },
    {
      name: 'cart',
      match: { path: { prefix: '/cart' } },
      route: 'cart-v1',
      canary: { route: 'cart-v2', percent: 50, hashCookie: 'uid' },
    },
  ],
};

describe('header-routing release module', () => {
  it('is under 40 KB', () => {
    expect(statSync(wasm).size).toBeLessThan(40 * 1024);
  });
});

describe('header-routing rules', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ module: wasm, config });
  });

  const cases: {
    name: string;
    spec: RequestSpec;
    route: string;
    path?: string;
    authority?: string;
    headers?: Record<string, string | undefined>;
  }[] = [
    { name: 'no rule matches: default route', spec: req('/'), route: 'stable' },
    { name: 'header exact', spec: req('/', { 'x-beta': 'on' }), route: 'beta' },
    { name: 'header mismatch', spec: req('/', { 'x-beta': 'off' }), route: 'stable' },
    { name: 'query parameter', spec: req('/p?a=1&debug=1'), route: 'debug', headers: { 'x-debug': 'true' } },
    { name: 'query parameter percent-encoded name and value', spec: req('/p?%64ebug=%31'), route: 'debug' },
    { name: 'query parameter absent', spec: req('/p?debug=0'), route: 'stable' },
    { name: 'cookie prefix', spec: req('/', { cookie: 'a=1; channel=beta-2; z=9' }), route: 'beta-cookie' },
    {
      name: 'cookie in a second cookie header',
      spec: {
        ...req('/'),
        headers: [
          [':method', 'GET'],
          [':path', '/'],
          [':authority', 'a'],
          ['cookie', 'a=1'],
          ['cookie', 'channel=beta'],
        ],
      },
      route: 'beta-cookie',
    },
    { name: 'cookie name must match exactly', spec: req('/', { cookie: 'xchannel=beta' }), route: 'stable' },
    {
      name: 'method + path prefix with prefix rewrite and authority rewrite',
      spec: req('/legacy/orders?id=1', {}, 'POST'),
      route: 'legacy',
      path: '/v1/orders?id=1',
      authority: 'legacy.internal',
    },
    {
      name: 'same path, other method',
      spec: req('/legacy/orders', {}, 'GET'),
      route: 'stable',
      path: '/legacy/orders',
    },
    {
      name: 'regex path with full path rewrite keeping the query',
      spec: req('/items/42?x=1'),
      route: 'items',
      path: '/item-by-id?x=1',
    },
    { name: 'regex path mismatch', spec: req('/items/abc'), route: 'stable' },
    { name: 'header absence', spec: req('/robots'), route: 'bots' },
    { name: 'header absence fails when present', spec: req('/robots', { 'user-agent': 'x' }), route: 'stable' },
    {
      name: 'first match wins',
      spec: req('/p?debug=1', { 'x-beta': 'on' }),
      route: 'beta',
      headers: { 'x-debug': undefined },
    },
    {
      name: 'client-sent route header is overwritten',
      spec: req('/', { 'x-route-to': 'admin-backend' }),
      route: 'stable',
    },
    {
      name: 'unicode values pass through',
      spec: req('/ünï/☃', { 'x-beta': 'on', 'x-name': 'zoë 日本' }),
      route: 'beta',
      headers: { 'x-name': 'zoë 日本' },
    },
    {
      name: 'very long header value',
      spec: req('/', { 'x-beta': 'on'.repeat(1), 'x-long': 'v'.repeat(60_000) }),
      route: 'beta',
      headers: { 'x-long': 'v'.repeat(60_000) },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await h.request(c.spec);
      expect(r.trap).toBeUndefined();
      expect(r.upstreamHeader('x-route-to')).toBe(c.route);
      if (c.path) expect(r.upstreamHeader(':path')).toBe(c.path);
      if (c.authority) expect(r.upstreamHeader(':authority')).toBe(c.authority);
      for (const [k, v] of Object.entries(c.headers ?? {})) expect(r.upstreamHeader(k)).toBe(v);
    });
  }

  it('sets, adds, removes and renames request and response headers', async () => {
    const r = await h.request(
      req('/edit', { 'x-set': 'client', 'x-multi': 'client', 'x-secret': 's', 'x-old-name': 'kept' }),
    );
    const up = r.upstream.headers;
    expect(r.upstreamHeader('x-set')).toBe('one');
    expect(up.filter(([k]) => k === 'x-multi').map(([, v]) => v)).toEqual(['client', 'added']);
    expect(r.upstreamHeader('x-secret')).toBeUndefined();
    expect(r.upstreamHeader('x-old-name')).toBeUndefined();
    expect(r.upstreamHeader('x-new-name')).toBe('kept');
    expect(r.downstreamHeader('cache-control')).toBe('no-store');
    expect(r.downstreamHeader('server')).toBeUndefined();
    expect(r.downstreamHeader('x-version')).toBe('1');
    expect(r.downstreamHeader('x-upstream-version')).toBeUndefined();
  });

  it('works with many headers', async () => {
    const headers: Record<string, string> = { 'x-beta': 'on' };
    for (let i = 0; i < 500; i++) headers[`x-h${i}`] = String(i);
    const r = await h.request(req('/', headers));
    expect(r.upstreamHeader('x-route-to')).toBe('beta');
    expect(r.upstreamHeader('x-h499')).toBe('499');
  });
});

describe('header-routing canary', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ module: wasm, config });
  });

  it('sends close to the configured share of users to the canary, by header', async () => {
    let canary = 0;
    const users = 2000;
    for (let i = 0; i < users; i++) {
      const r = await h.request(req('/reviews', { 'x-user-id': `user-${i}` }));
      if (r.upstreamHeader('x-route-to') === 'reviews-v2') canary++;
      else expect(r.upstreamHeader('x-route-to')).toBe('reviews-v1');
    }
    // 20% of 2000 = 400; binomial sd ~ 18: allow +-4 sd.
    expect(canary).toBeGreaterThan(400 - 72);
    expect(canary).toBeLessThan(400 + 72);
    expect(h.metric('header_routing_canary_total')).toBe(canary);
  });

  it('keeps each user on the same side across requests', async () => {
    for (let i = 0; i < 200; i++) {
      const first = (await h.request(req('/reviews', { 'x-user-id': `u${i}@example.com` }))).upstreamHeader(
        'x-route-to',
      );
      for (let k = 0; k < 3; k++)
        expect(
          (await h.request(req('/reviews/x', { 'x-user-id': `u${i}@example.com` }))).upstreamHeader('x-route-to'),
        ).toBe(first);
    }
  });

  it('keeps the same user on the same side on a fresh VM (no per-VM state)', async () => {
    const other = await createHarness({ module: wasm, config });
    for (let i = 0; i < 50; i++) {
      const spec = req('/cart', { cookie: `uid=${i}` });
      expect((await other.request(spec)).upstreamHeader('x-route-to')).toBe(
        (await h.request(spec)).upstreamHeader('x-route-to'),
      );
    }
  });

  it('splits by cookie near 50%', async () => {
    let canary = 0;
    for (let i = 0; i < 1000; i++)
      if ((await h.request(req('/cart', { cookie: `uid=${i * 7919}` }))).upstreamHeader('x-route-to') === 'cart-v2')
        canary++;
    expect(canary).toBeGreaterThan(500 - 64);
    expect(canary).toBeLessThan(500 + 64);
  });

  it('keeps users without the key on the stable side', async () => {
    for (let i = 0; i < 20; i++)
      expect((await h.request(req('/reviews'))).upstreamHeader('x-route-to')).toBe('reviews-v1');
  });

  it('0% and 100% are absolute', async () => {
    const edge = (percent: number) =>
      createHarness({
        module: wasm,
        config: { rules: [{ route: 'a', canary: { route: 'b', percent, hashHeader: 'x-u' } }] },
      });
    const none = await edge(0),
      all = await edge(100);
    for (let i = 0; i < 200; i++) {
      expect((await none.request(req('/', { 'x-u': String(i) }))).upstreamHeader('x-route-to')).toBe('a');
      expect((await all.request(req('/', { 'x-u': String(i) }))).upstreamHeader('x-route-to')).toBe('b');
    }
  });
});

describe('header-routing fallThrough', () => {
  it('applies every matching rule in order when fallThrough is set; the last route wins', async () => {
    const h = await createHarness({
      module: wasm,
      config: {
        rules: [
          {
            match: { path: { prefix: '/' } },
            route: 'base',
            requestHeaders: { set: { 'x-a': '1' } },
            fallThrough: true,
          },
          { match: { path: { prefix: '/special' } }, route: 'special', requestHeaders: { set: { 'x-b': '2' } } },
        ],
      },
    });
    const r = await h.request(req('/special/x'));
    expect([r.upstreamHeader('x-route-to'), r.upstreamHeader('x-a'), r.upstreamHeader('x-b')]).toEqual([
      'special',
      '1',
      '2',
    ]);
    const s = await h.request(req('/other'));
    expect([s.upstreamHeader('x-route-to'), s.upstreamHeader('x-b')]).toEqual(['base', undefined]);
  });

  it('removes a client-sent route header when no route is chosen', async () => {
    const h = await createHarness({ module: wasm, config: {} });
    const r = await h.request(req('/', { 'x-route-to': 'evil' }));
    expect(r.upstreamHeader('x-route-to')).toBeUndefined();
  });
});

describe('header-routing configuration errors name the field', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not valid JSON/],
    ['unknown field', { rulez: [] }, /configuration\.rulez: unknown field/],
    ['rule not an object', { rules: ['x'] }, /rules\[0\]: must be an object/],
    [
      'bad regex',
      { rules: [{ match: { path: { regex: '[a-' } } }] },
      /rules\[0\]\.match\.path\.regex: invalid pattern/,
    ],
    [
      'percent out of range',
      { rules: [{ canary: { route: 'b', percent: 150, hashHeader: 'x' } }] },
      /rules\[0\]\.canary\.percent/,
    ],
    [
      'canary without key',
      { rules: [{ canary: { route: 'b', percent: 10 } }] },
      /rules\[0\]\.canary: needs exactly one of hashHeader, hashCookie/,
    ],
    [
      'canary without route',
      { rules: [{ canary: { percent: 10, hashHeader: 'x' } }] },
      /rules\[0\]\.canary\.route: is required/,
    ],
    [
      'header edit not a string',
      { rules: [{ requestHeaders: { set: { a: 1 } } }] },
      /rules\[0\]\.requestHeaders\.set\.a: must be a string/,
    ],
    [
      'rewrite path without slash',
      { rules: [{ rewrite: { path: 'x' } }] },
      /rules\[0\]\.rewrite\.path: must start with \//,
    ],
    [
      'cookie condition without name',
      { rules: [{ match: { cookies: [{ exact: 'a' }] } }] },
      /rules\[0\]\.match\.cookies\[0\]\.name: is required/,
    ],
  ];
  for (const [name, cfg, message] of bad) {
    it(name, async () => {
      await expect(createHarness({ module: wasm, config: cfg })).rejects.toThrow(message);
    });
  }
});

describe('header-routing memory', () => {
  it('keeps linear memory flat over 20k requests', async () => {
    const h = await createHarness({ module: wasm, config });
    const specs = [
      req('/reviews', { 'x-user-id': 'u1' }),
      req('/edit', { 'x-old-name': 'v', cookie: 'channel=beta' }),
      req('/items/7?x=1'),
      req('/legacy/a', {}, 'POST'),
    ];
    for (let i = 0; i < 400; i++) await h.request(specs[i % 4]!);
    const warm = h.memoryBytes();
    for (let i = 0; i < 20_000; i++) await h.request(specs[i % 4]!);
    expect(h.memoryBytes()).toBe(warm);
  }, 300_000);
});

describe('header-routing shipped example configuration', () => {
  it('config.example.json is accepted', async () => {
    // A project made by `meshwasm init` has it as config.json.
    const example = new URL('../config.example.json', import.meta.url);
    const config = readFileSync(existsSync(example) ? example : new URL('../config.json', import.meta.url), 'utf8');
    const h = await createHarness({ module: wasm, config });
    expect(h.logs.some((l) => l.level === 'info' && l.message.startsWith('header-routing: configured'))).toBe(true);
  });
});
