import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';

// Built with: wat2wasm test/host-sim/harness-smoke.wat
function smokeModule(): Uint8Array {
  const out = join(mkdtempSync(join(tmpdir(), 'mw-smoke-')), 'smoke.wasm');
  execFileSync('wat2wasm', [new URL('./harness-smoke.wat', import.meta.url).pathname, '-o', out]);
  return new Uint8Array(readFileSync(out));
}

describe('harness (hand-written WAT filter)', () => {
  it('adds a request header the upstream sees, and logs', async () => {
    const h = await createHarness({ module: smokeModule() });
    const r = await h.request({ headers: { ':method': 'GET', ':path': '/', ':authority': 'example.com' } });
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-hello')).toBe('world');
    expect(r.downstream.status).toBe(200);
    expect(r.logs).toEqual([{ level: 'info', message: 'hello from wat', source: 'meshwasm' }]);
  });

  it('answers locally and never reaches the upstream when x-deny is present', async () => {
    const h = await createHarness({ module: smokeModule() });
    const r = await h.request({
      headers: { ':method': 'GET', ':path': '/', ':authority': 'a', 'X-Deny': '1' },
      body: 'payload',
    });
    expect(r.upstream.reached).toBe(false);
    expect(r.localReply?.status).toBe(403);
    expect(r.downstream.status).toBe(403);
    expect(r.downstream.body).toBe('denied');
  });
});
