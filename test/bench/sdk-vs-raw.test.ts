// The SDK-overhead pair (test/bench/fixtures/header-rw-raw.c and header-rw-sdk/): the same header
// filter against the raw ABI in C and with the AssemblyScript SDK. docs/BENCHMARKS.md compares
// their cost per request with `meshwasm bench`; this checks the comparison compares equal work:
// both are built as their sources say, and every request leaves the same headers behind.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type RequestSpec } from '../../host-sim/harness/index.js';
import { buildCommandOf } from '../fixtures/compile.js';
import { meshwasm } from '../sdk/build-fixture.js';
import { fixture } from './wat.js';

const out = mkdtempSync(path.join(tmpdir(), 'mw-sdk-vs-raw-'));

/** Runs the `// build:` line of the C half, with the system PATH as test/fixtures/compile.ts does. */
async function buildRaw(): Promise<string> {
  const src = fixture('header-rw-raw.c');
  const wasm = path.join(out, 'raw.wasm');
  const [cmd, ...args] = buildCommandOf(readFileSync(src, 'utf8'), 'header-rw-raw.c').map((a) =>
    a.replaceAll('$SRC', src).replaceAll('$OUT', wasm),
  );
  const PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((d) => !d.includes('node_modules'))
    .join(':');
  await promisify(execFile)(cmd!, args, { cwd: path.dirname(src), env: { ...process.env, PATH } });
  return wasm;
}

async function buildSdk(): Promise<string> {
  const wasm = path.join(out, 'sdk.wasm');
  const r = await meshwasm('build', fixture('header-rw-sdk'), '--out', wasm, '-o', 'json');
  if (r.status !== 0) throw new Error(`meshwasm build of header-rw-sdk exited ${r.status}:\n${r.stderr}`);
  return wasm;
}

const pairScenario = parse(readFileSync(fixture('header-rw-pair.yaml'), 'utf8')) as {
  requests: { request: RequestSpec; response: RequestSpec['response'] }[];
};

// The scenario bench plays, then what would break a codec that handled only ASCII, only short
// strings or only present headers: multi-byte UTF-8 in returned and handed-over values, a value
// longer than any fast path's step, a missing :authority, and a request without x-remove-me.
const requests: RequestSpec[] = [
  // as bench plays a scenario's request: its answer beside it
  { ...pairScenario.requests[0]!.request, response: pairScenario.requests[0]!.response },
  {
    headers: {
      ':method': 'GET',
      ':path': '/bücher/ünïcödé?q=✓&emoji=🎉',
      ':authority': 'straße.example',
      'x-remove-me': 'a',
    },
    response: { headers: { ':status': '404' } },
  },
  {
    headers: { ':method': 'POST', ':path': `/${'segment/'.repeat(40)}end`, ':authority': 'a.b' },
    response: { headers: { ':status': '201' } },
  },
  { headers: { ':method': 'GET', ':path': '/' }, response: { headers: { ':status': '503' } } },
];

describe('the SDK-overhead pair: raw ABI in C and the AssemblyScript SDK', () => {
  let raw: Harness;
  let sdk: Harness;

  beforeAll(async () => {
    const [rawWasm, sdkWasm] = await Promise.all([buildRaw(), buildSdk()]);
    raw = await createHarness({ module: rawWasm });
    sdk = await createHarness({ module: sdkWasm });
  }, 120_000);

  it.each(requests.map((r, i) => [i, r] as const))(
    'request %i leaves the same headers upstream and downstream',
    async (_, spec) => {
      const a = await raw.request(spec);
      const b = await sdk.request(spec);
      expect(b.upstream.headers).toEqual(a.upstream.headers);
      expect(b.downstream.headers).toEqual(a.downstream.headers);
      // and the filters did their work (so equal output is not two filters doing nothing)
      const headers = spec.headers as Record<string, string>;
      expect(b.upstreamHeader('x-bench')).toBe((headers[':authority'] ?? '') + headers[':path']);
      expect(b.upstreamHeader('x-remove-me')).toBeUndefined();
      expect(b.downstreamHeader('x-filter')).toBe(
        `header-rw ${(spec.response as { headers: Record<string, string> }).headers[':status']}`,
      );
    },
  );

  it('keeps linear memory flat over many requests in both halves', async () => {
    for (const h of [raw, sdk]) {
      for (let i = 0; i < 500; i++) await h.request(requests[i % requests.length]!);
      const before = h.memoryBytes();
      for (let i = 0; i < 3000; i++) await h.request(requests[i % requests.length]!);
      expect(h.memoryBytes()).toBe(before);
    }
  });
});
