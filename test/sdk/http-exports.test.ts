import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHarness } from '../../host-sim/harness/index.js';
import { buildFixture } from './build-fixture.js';

let httpOnly: string;
let everything: string;
beforeAll(async () => {
  httpOnly = await buildFixture('http-only');
  everything = await buildFixture('everything');
}, 300_000);

const exportsOf = (file: string) =>
  WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(file)))
    .map((e) => e.name)
    .filter((n) => n.startsWith('proxy_'));

describe('meshwasm/sdk/http_exports (an HTTP filter exports HTTP callbacks only)', () => {
  it('exports the lifecycle, HTTP and http-call callbacks and leaves out TCP, gRPC and foreign functions', () => {
    const names = exportsOf(httpOnly);
    for (const n of [
      'proxy_abi_version_0_2_1',
      'proxy_on_memory_allocate',
      'proxy_on_context_create',
      'proxy_on_vm_start',
      'proxy_on_configure',
      'proxy_on_tick',
      'proxy_on_queue_ready',
      'proxy_on_done',
      'proxy_on_log',
      'proxy_on_delete',
      'proxy_on_request_headers',
      'proxy_on_request_body',
      'proxy_on_request_trailers',
      'proxy_on_response_headers',
      'proxy_on_response_body',
      'proxy_on_response_trailers',
      'proxy_on_http_call_response',
    ]) {
      expect(names).toContain(n);
    }
    for (const n of [
      'proxy_on_new_connection',
      'proxy_on_downstream_data',
      'proxy_on_upstream_data',
      'proxy_on_downstream_connection_close',
      'proxy_on_upstream_connection_close',
      'proxy_on_grpc_receive',
      'proxy_on_grpc_close',
      'proxy_on_grpc_receive_initial_metadata',
      'proxy_on_grpc_receive_trailing_metadata',
      'proxy_on_foreign_function',
    ]) {
      expect(names).not.toContain(n);
    }
    // The full set is still what meshwasm/sdk/exports gives.
    expect(exportsOf(everything)).toEqual(
      expect.arrayContaining([
        'proxy_on_new_connection',
        'proxy_on_grpc_receive',
        'proxy_on_foreign_function',
        'proxy_on_http_call_response',
      ]),
    );
  });

  it('serves HTTP requests as the full set does', async () => {
    const h = await createHarness({ module: httpOnly, config: {} });
    const r = await h.request({ headers: { ':method': 'GET', ':path': '/', ':authority': 'a.example' } });
    expect(r.trap).toBeUndefined();
    expect(r.upstreamHeader('x-http-only')).toBe('yes');
  });

  it('refuses by name a root context that makes a StreamContext, which it cannot route', async () => {
    const h = await createHarness({ module: httpOnly, config: { tcp: true } });
    const r = await h.request({ headers: { ':method': 'GET', ':path': '/', ':authority': 'a.example' } });
    expect(r.trap).toBeDefined();
    expect(h.logs.map((l) => l.message).join('\n')).toMatch(
      /made no HttpContext; a StreamContext \(TCP\) needs `export \* from "meshwasm\/sdk\/exports"`/,
    );
  });
});
