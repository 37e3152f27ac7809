import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Host } from '../../host-sim/host.js';
import { runExchange } from '../../host-sim/exchange.js';
import { releaseModule } from '../../filters/telemetry/test/build-module.js';
import { compileWatText } from '../fixtures/compile.js';

// A filter before telemetry that answers 403 itself, as authz does for a denied request.
const DENY_ALL = `(module
  (import "env" "proxy_send_local_response" (func $reply (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
    (local $p i32) (local.set $p (global.get $heap)) (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $reply (i32.const 403) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const -1)))
    (i32.const 1)))`;

describe('telemetry behind a filter that answered locally (chain in the host simulator)', () => {
  it('still tags the request with its method and authority, read at on_log', async () => {
    const host = new Host();
    const deny = host.startPlugin(host.loadVm(await compileWatText(DENY_ALL)), { name: 'deny' });
    const telemetry = host.startPlugin(host.loadVm(new Uint8Array(readFileSync(await releaseModule()))), {
      name: 'telemetry',
      configuration: Buffer.from('{}'),
    });
    const r = await runExchange(host, [deny, telemetry], {
      headers: { ':method': 'DELETE', ':path': '/orders/1', ':authority': 'shop.example', 'x-request-id': 'req-1' },
    });
    expect(r.downstream.status).toBe(403);
    expect(r.upstream.reached).toBe(false);
    const name =
      'request_method.DELETE.response_code_class.4xx.response_code.403.destination_authority.shop_example.istio_requests_total';
    expect(host.metrics.lookup(name)?.value).toBe(1);
    const line = r.logs.find((l) => l.source === 'telemetry' && l.message.startsWith('{'));
    expect(JSON.parse(line!.message)).toMatchObject({
      method: 'DELETE',
      path: '/orders/1',
      status: 403,
      request_id: 'req-1',
    });
  });
});
