// Envoy fidelity: modules shaped like the other proxy-wasm SDKs (fixtures in
// test/fixtures/conformance/, each naming the upstream behaviour it imitates) get the answers
// proxy-wasm-cpp-host and Envoy give them. There is no Envoy binary here: every expectation is
// read from cpp-host src/exports.cc, include/proxy-wasm/wasm.h, src/wasm.cc and Envoy's
// source/extensions/common/wasm/context.cc and foreign.cc, as each test's name says.
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { envoyCoreTypes } from '../../envoy-api/protos.js';
import { ConfigureError, type Harness } from '../../host-sim/harness/index.js';
import { allKnownImports, envoyRelease, firstReleaseWith, importsOf } from '../../host-sim/envoy-releases.js';
import { providedImports } from '../../host-sim/index.js';
import { encodeExt, extType } from '../../host-sim/hostcalls/foreign/messages.js';
import { compileFixture, compileWatText } from '../fixtures/compile.js';
import { fixtureHarness, get, messages, post } from '../host-sim/fixture-harness.js';

const pairs = (b: Uint8Array): [string, string][] => {
  const buf = Buffer.from(b);
  const n = buf.readUInt32LE(0);
  let off = 4 + n * 8;
  const out: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const kl = buf.readUInt32LE(4 + i * 8);
    const vl = buf.readUInt32LE(8 + i * 8);
    out.push([
      buf.subarray(off, off + kl).toString('latin1'),
      buf.subarray(off + kl + 1, off + kl + 1 + vl).toString('latin1'),
    ]);
    off += kl + vl + 2;
  }
  return out;
};

describe('empty values allocate nothing (cpp-host copyToPointerSize / get_header_map_pairs), with a Go-style allocator that traps on size 0', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await fixtureHarness('conformance/go_alloc.c');
  });

  it('hands an empty VM and plugin configuration as pointer 0, size 0, Ok', () => {
    expect(messages(h.logs)).toEqual(expect.arrayContaining(['vm-config 0/0/null', 'plugin-config 0/0/null']));
  });

  it('hands an empty header value, shared-data value and map as pointer 0, size 0, Ok; a read past the end of a body is a zero-length Ok read', async () => {
    const r = await h.request({ headers: { ...get('/'), 'x-empty': '' }, body: 'abc' });
    expect(r.trap).toBeUndefined();
    expect(r.upstreamHeader('x-empty-header')).toBe('0/0/null');
    expect(r.upstreamHeader('x-empty-shared')).toBe('0/0/null');
    expect(r.upstreamHeader('x-empty-pairs')).toBe('0/0/null');
    expect(messages(r.logs)).toContain('past-end 0/0/null');
  });

  it('refuses other host calls while the allocator runs, as cpp-host restricted callback: InternalFailure and an error log', async () => {
    const r = await h.request({ headers: get('/'), body: 'x' });
    expect(r.upstreamHeader('x-refused')).toBe('10');
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Attempted call to restricted proxy-wasm capability: proxy_get_log_level',
      }),
    );
  });
});

describe('start-up runs restricted, as cpp-host WasmBase::startVm', () => {
  it('refuses proxy_* calls other than proxy_log during _initialize (InternalFailure) while WASI start-up calls work', async () => {
    const module = await compileWatText(`(module
      (import "env" "proxy_get_property" (func $prop (param i32 i32 i32 i32) (result i32)))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
      (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "node")
      (data (i32.const 200) "x-during-init")
      (data (i32.const 220) "x-environ")
      (global $prop_status (mut i32) (i32.const 99))
      (global $env_status (mut i32) (i32.const 99))
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 8192))
      (func (export "_initialize")
        (global.set $prop_status (call $prop (i32.const 100) (i32.const 4) (i32.const 300) (i32.const 304)))
        (global.set $env_status (call $env (i32.const 308) (i32.const 312)))
        (drop (call $log (i32.const 2) (i32.const 100) (i32.const 4))))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (i32.store8 (i32.const 400) (i32.add (i32.const 48) (i32.div_u (global.get $prop_status) (i32.const 10))))
        (i32.store8 (i32.const 401) (i32.add (i32.const 48) (i32.rem_u (global.get $prop_status) (i32.const 10))))
        (i32.store8 (i32.const 402) (i32.add (i32.const 48) (global.get $env_status)))
        (drop (call $add (i32.const 0) (i32.const 200) (i32.const 13) (i32.const 400) (i32.const 2)))
        (drop (call $add (i32.const 0) (i32.const 220) (i32.const 9) (i32.const 402) (i32.const 1)))
        (i32.const 0)))`);
    const h = await (await import('../../host-sim/harness/index.js')).createHarness({
      module,
      label: 'init-restricted',
    });
    const r = await h.request({ headers: get('/') });
    // InternalFailure (10), written as two digits.
    expect(r.upstreamHeader('x-during-init')).toBe('10');
    expect(r.upstreamHeader('x-environ')).toBe('0');
    expect(h.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Attempted call to restricted proxy-wasm capability: proxy_get_property',
      }),
    );
    expect(messages(h.logs)).toContain('node');
  });
});

describe('a reactor exporting main (Emscripten, wasi-libc) gets main(0, 0) after _initialize, as cpp-host startVm', () => {
  it('calls main with argc 0 and argv 0 once, still restricted', async () => {
    const module = await compileWatText(`(module
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "initialize")
      (data (i32.const 120) "main argc=0")
      (data (i32.const 140) "main argc!=0")
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 8192))
      (func (export "_initialize") (drop (call $log (i32.const 2) (i32.const 100) (i32.const 10))))
      (func (export "main") (param $argc i32) (param $argv i32) (result i32)
        (if (i32.or (local.get $argc) (local.get $argv))
          (then (drop (call $log (i32.const 2) (i32.const 140) (i32.const 12))))
          (else (drop (call $log (i32.const 2) (i32.const 120) (i32.const 11)))))
        (i32.const 0)))`);
    const h = await (await import('../../host-sim/harness/index.js')).createHarness({ module, label: 'reactor-main' });
    expect(messages(h.logs)).toEqual(['initialize', 'main argc=0']);
  });
});

describe('a module that panics in _initialize (Go runs its init functions there)', () => {
  it('is refused quoting the panic line from stderr', async () => {
    const module = await compileWatText(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "panic: assignment to entry in nil map\\n\\ngoroutine 1 [running]:\\nmain.init.0()\\n")
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 8192))
      (func (export "_initialize")
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 76))
        (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $exit (i32.const 2))
        unreachable))`);
    const load = (await import('../../host-sim/harness/index.js')).createHarness({ module, label: 'init-panic' });
    await expect(load).rejects.toThrow(
      /init-panic failed in _initialize: proc_exit\(2\); the module logged: panic: assignment to entry in nil map$/,
    );
  });
});

describe('http callouts belong to the root context (cpp-host http_call uses root_context(); Envoy onHttpCallSuccess)', () => {
  it('delivers the response with the root id to a C++-SDK-style root lookup, readable from any context, and the stream resumes', async () => {
    const h = await fixtureHarness('conformance/cpp_root_lookup.c', {
      clusters: { authz: () => ({ status: 200, body: 'granted' }) },
    });
    const r = await h.request({ headers: get('/orders') });
    expect(r.trap).toBeUndefined();
    expect(r.vmTraps).toEqual([]);
    expect(messages(r.logs)).toContain(`response for root ${h.plugin.id} token 1`);
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-callout-body')).toBe('granted');
    expect(r.upstreamHeader('x-callout-status')).toBe('200');
  });
});

describe('the import set of a real Envoy (cpp-host exports.h FOR_ALL_WASI_FUNCTIONS, wasm.cc registerCallbacks)', () => {
  it("answers the Emscripten names and the newer WASI functions with cpp-host's fixed results", async () => {
    const h = await fixtureHarness('conformance/emscripten_wasi.wat');
    const r = await h.request({ headers: get('/') });
    const all = (n: string) => r.upstream.headers.filter(([k]) => k === n).map(([, v]) => v);
    expect(r.trap).toBeUndefined();
    expect(all('x-pthread-equal')).toEqual(['1']);
    expect(all('x-clock-res')).toEqual(['0', '1']);
    expect(all('x-clock-res-bad')).toEqual(['58']);
    expect(all('x-fd-tell')).toEqual(['0']);
    expect(all('x-fd-tell-bad')).toEqual(['8']);
    expect(all('x-sock-accept')).toEqual(['58']);
    expect(all('x-path-open')).toEqual(['44']);
    expect(all('x-poll')).toEqual(['0', '0']);
    expect(all('x-sched-yield')).toEqual(['0']);
  });

  it('refuses the module for an Envoy that lacks its imports, naming them and the release', async () => {
    const module = await compileFixture('conformance/emscripten_wasi.wat');
    const load = (envoyVersion: string) =>
      import('../../host-sim/harness/index.js').then((m) =>
        m.createHarness({ module, envoyVersion, label: 'emscripten_wasi' }),
      );
    await expect(load('1.38')).rejects.toThrow(/Envoy 1\.38 does not provide.*wasi_snapshot_preview1\.clock_res_get/);
    await expect(load('1.32')).rejects.toThrow(/wasi_snapshot_preview1\.poll_oneoff/);
    await expect(load('1.38')).rejects.not.toThrow(/pthread_equal/);
  });

  it('keeps one table per release: 15 WASI functions up to Envoy 1.33, 18 from 1.34, 45 from 1.39', () => {
    expect(envoyRelease('1.33').wasi).toHaveLength(15);
    expect(envoyRelease('1.34.2').wasi).toHaveLength(18);
    expect(envoyRelease('1.39').wasi).toHaveLength(45);
    expect(firstReleaseWith('wasi_snapshot_preview1.poll_oneoff', '0.2.1')?.envoy).toBe('1.34');
    expect(importsOf(envoyRelease(), '0.1.0').has('env.proxy_continue_request')).toBe(true);
    expect(importsOf(envoyRelease(), '0.2.1').has('env.proxy_continue_request')).toBe(false);
    expect(() => envoyRelease('latest')).toThrow(/is not an Envoy version/);
  });

  it('implements every import of every release in the table', () => {
    const implemented = providedImports();
    const missing = [...allKnownImports()].filter((n) => !implemented.has(n));
    expect(missing).toEqual([]);
  });
});

describe('traps outside a stream fail the VM and are reported (Go-style runtime: panic to stderr, poll_oneoff, proc_exit)', () => {
  it('a panic in on_configure rejects the plugin quoting the "panic:" line, poll_oneoff having answered success with zero events', async () => {
    const err = await fixtureHarness('conformance/go_panic.wat').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigureError);
    const e = err as ConfigureError;
    expect(e.message).toContain('trapped in proxy_on_configure');
    expect(e.message).toContain('the filter logged: panic: runtime error: index out of range [0] with length 0');
    expect(e.trap?.callback).toBe('proxy_on_configure');
    expect(messages(e.logs).join('\n')).toContain('goroutine 1 [running]:');
    expect(messages(e.logs).join('\n')).not.toContain('poll_oneoff failed');
  });

  it('a panic in on_tick fails the VM: tick() returns it, and the next request meets the failure policy', async () => {
    const h = await fixtureHarness('conformance/go_panic.wat', { config: 'tick', pluginName: 'ticker' });
    const traps = await h.tick(1000);
    expect(traps).toEqual([expect.objectContaining({ callback: 'proxy_on_tick', plugin: 'ticker' })]);
    expect(h.vm.failed).toBeDefined();
    const r = await h.request({ headers: get('/') });
    expect(r.downstream.status).toBe(503);
  });

  it("calls a root context's on_tick directly", async () => {
    const h = await fixtureHarness('conformance/go_panic.wat', { config: 'tick' });
    expect(await h.onTick()).toEqual([expect.objectContaining({ callback: 'proxy_on_tick' })]);
    expect(h.vmTraps).toHaveLength(1);
  });
});

describe("foreign functions Envoy registers (Envoy foreign.cc; CEL compiled out, as Envoy's release builds)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await fixtureHarness('conformance/probe.c', { filterState: { 'seeded.key': 'from-harness' } });
  });
  const call = (name: string, args: Uint8Array | string, extra: Record<string, string> = {}) =>
    h.request({ headers: { ...post('/'), 'x-foreign': name, ...extra }, body: Buffer.from(args) });
  const status = (r: Awaited<ReturnType<typeof call>>) => r.downstreamHeader('x-foreign-status');

  it('compress answers the zlib format; uncompress reverses it and refuses garbage with SerializationFailure', async () => {
    const r = await call('compress', 'hello hello hello hello');
    expect(status(r)).toBe('0');
    expect(r.downstream.bodyBytes[0]).toBe(0x78); // zlib header, not raw deflate or gzip
    expect(inflateSync(r.downstream.bodyBytes).toString()).toBe('hello hello hello hello');
    const back = await call('uncompress', r.downstream.bodyBytes);
    expect([status(back), back.downstream.body]).toEqual(['0', 'hello hello hello hello']);
    expect(status(await call('uncompress', 'not zlib'))).toBe('3');
  });

  it('an unknown name, and the CEL expr_* functions, are NotFound with a debug log naming it', async () => {
    const r = await call('no_such_function', '-');
    expect(status(r)).toBe('1');
    expect(r.logs).toContainEqual(
      expect.objectContaining({ level: 'debug', message: expect.stringContaining('"no_such_function"') }),
    );
    expect(status(await call('expr_create', 'request.path == "/"'))).toBe('1');
    expect(status(await call('expr_evaluate', '\u0000\u0000\u0000\u0000'))).toBe('1');
  });

  it('sign and verify_signature: RSA with Envoy digests, PEM or DER keys, result messages; both or no keys is BadArgument', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const signed = await call(
      'sign',
      encodeExt('SignArguments', { hash_function: 'SHA256', private_key_pem: pem, text: Buffer.from('payload') }),
    );
    expect(status(signed)).toBe('0');
    const sr = extType('SignResult').toObject(extType('SignResult').decode(signed.downstream.bodyBytes)) as {
      result: boolean;
      signature: Uint8Array;
    };
    expect(sr.result).toBe(true);
    expect(nodeVerify('sha256', Buffer.from('payload'), publicKey, sr.signature)).toBe(true);

    const der = publicKey.export({ format: 'der', type: 'spki' });
    const goodSig = nodeSign('sha384', Buffer.from('text'), privateKey);
    const verify = (sig: Uint8Array, hash = 'sha384') =>
      call(
        'verify_signature',
        encodeExt('VerifySignatureArguments', {
          hash_function: hash,
          public_key: der,
          signature: sig,
          text: Buffer.from('text'),
        }),
      );
    const decode = (b: Uint8Array) =>
      extType('VerifySignatureResult').toObject(extType('VerifySignatureResult').decode(b), { defaults: true });
    const ok = await verify(goodSig);
    expect([status(ok), decode(ok.downstream.bodyBytes)]).toEqual(['0', { result: true, error: '' }]);
    const bad = await verify(Buffer.alloc(256, 1));
    expect(decode(bad.downstream.bodyBytes)).toEqual({
      result: false,
      error: 'Failed to verify digest. Error code: 0',
    });
    const md5 = await verify(goodSig, 'md5');
    expect(decode(md5.downstream.bodyBytes)).toEqual({ result: false, error: 'md5 is not supported.' });
    const both = await call(
      'verify_signature',
      encodeExt('VerifySignatureArguments', {
        hash_function: 'sha256',
        public_key: der,
        public_key_pem: 'x',
        text: Buffer.from('t'),
      }),
    );
    expect(status(both)).toBe('2');
  });

  it('declare_property on the root makes set_property refuse a second write to a readonly property; a second declaration is BadArgument', async () => {
    const decl = encodeExt('DeclarePropertyArguments', { name: 'frozen', readonly: true, type: 1 });
    const d = await fixtureHarness('conformance/probe.c', { config: decl });
    expect(messages(d.logs)).toContain('declare-status 0');
    const r = await d.request({ headers: { ...post('/'), 'x-set-prop': 'frozen', 'x-set-value': 'v1' }, body: '-' });
    expect(messages(r.logs)).toContain('set-status 0,2');
    const free = await d.request({ headers: { ...post('/'), 'x-set-prop': 'other', 'x-set-value': 'v' }, body: '-' });
    expect(messages(free.logs)).toContain('set-status 0,0');
    // Declared from a stream, Envoy keeps it on that stream, where set_property never looks.
    const onStream = await call('declare_property', decl, { 'x-set-prop': 'frozen', 'x-set-value': 'v1' });
    expect(status(onStream)).toBe('0');
    expect(messages(onStream.logs)).toContain('set-status 0,0');
    const again = await d.request({
      headers: { ...post('/'), 'x-foreign': 'declare_property' },
      body: Buffer.from(decl),
    });
    expect(again.downstreamHeader('x-foreign-status')).toBe('0');
  });

  it('set_envoy_filter_state stores an object Envoy has a factory for, visible as filter_state.KEY; other keys are NotFound', async () => {
    const set = encodeExt('SetEnvoyFilterStateArguments', { path: 'envoy.string', value: 'tenant-7' });
    const r = await h.request({
      headers: { ...post('/'), 'x-foreign': 'set_envoy_filter_state', 'x-prop': 'filter_state/envoy.string' },
      body: Buffer.from(set),
    });
    expect(messages(r.logs)).toContain('foreign-status 0');
    expect([r.downstreamHeader('x-prop-status'), r.downstream.body]).toEqual(['0', 'tenant-7']);
    const unknown = encodeExt('SetEnvoyFilterStateArguments', { path: 'my.own.key', value: 'x' });
    expect(status(await call('set_envoy_filter_state', unknown))).toBe('1');
    const seeded = await h.request({ headers: { ...post('/'), 'x-prop': 'filter_state/seeded.key' }, body: '-' });
    expect(seeded.downstream.body).toBe('from-harness');
  });

  it('clear_route_cache is Ok with no result', async () => {
    const r = await call('clear_route_cache', '-');
    expect([status(r), r.downstreamHeader('x-result-size')]).toEqual(['0', '0']);
  });
});

describe("message-valued properties serialized as Envoy's getProperty/serializeValue (context.cc), with Envoy's protos", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await fixtureHarness('conformance/probe.c', {
      nodeMetadata: { NAME: 'pod-a', LABELS: { app: 'web' }, replicas: 3, canary: true, nothing: null },
      clusterMetadata: { 'envoy.lb': { canary: true } },
    });
  });
  const prop = async (path: string) => {
    const r = await h.request({ headers: { ...post('/'), 'x-prop': path }, body: '-' });
    return { status: r.downstreamHeader('x-prop-status'), bytes: r.downstream.bodyBytes };
  };

  it('node is envoy.config.core.v3.Node bytes whose metadata is the Struct given as a plain object', async () => {
    const { status, bytes } = await prop('node');
    expect(status).toBe('0');
    const Node = envoyCoreTypes().lookupType('envoy.config.core.v3.Node');
    const node = Node.toObject(Node.decode(bytes)) as { id: string; metadata: { fields: Record<string, unknown> } };
    expect(node.id).toContain('sidecar~');
    expect(node.metadata.fields.NAME).toEqual({ stringValue: 'pod-a' });
  });

  it('Struct members go through CEL: strings raw, numbers 8-byte doubles, bools 1 byte, nested Structs and the metadata itself as pairs', async () => {
    expect(Buffer.from((await prop('node/metadata/NAME')).bytes).toString()).toBe('pod-a');
    expect(Buffer.from((await prop('node/metadata/replicas')).bytes).readDoubleLE(0)).toBe(3);
    expect([...(await prop('node/metadata/canary')).bytes]).toEqual([1]);
    expect(pairs((await prop('node/metadata/LABELS')).bytes)).toEqual([['app', 'web']]);
    expect((await prop('node/metadata/missing')).status).toBe('1');
  });

  it('a Struct holding a null cannot be serialized: SerializationFailure', async () => {
    expect((await prop('node/metadata')).status).toBe('3');
    expect((await prop('node/metadata/nothing')).status).toBe('3');
  });

  it('takes node metadata as plain properties too, as scenario files give them', async () => {
    const p = await fixtureHarness('conformance/probe.c', { properties: { node: { metadata: { ZONE: 'eu-1' } } } });
    const r = await p.request({ headers: { ...post('/'), 'x-prop': 'node/metadata/ZONE' }, body: '-' });
    expect([r.downstreamHeader('x-prop-status'), r.downstream.body]).toEqual(['0', 'eu-1']);
  });

  it('cluster_metadata is envoy.config.core.v3.Metadata bytes, and its members are reachable by path', async () => {
    const { bytes } = await prop('cluster_metadata');
    const Metadata = envoyCoreTypes().lookupType('envoy.config.core.v3.Metadata');
    const m = Metadata.toObject(Metadata.decode(bytes)) as { filterMetadata: Record<string, { fields: unknown }> };
    expect(m.filterMetadata['envoy.lb']?.fields).toEqual({ canary: { boolValue: true } });
    expect([...(await prop('cluster_metadata/filter_metadata/envoy.lb/canary')).bytes]).toEqual([1]);
  });
});

describe('the harness expresses what Envoy tests do', () => {
  it('advances virtual time while a request is paused: the filter resumes it from on_tick', async () => {
    const h = await fixtureHarness('conformance/tick_resume.c');
    const stuck = await h.request({ headers: get('/') });
    expect(stuck.stalled).toBe(true);
    const r = await h.request({ headers: get('/'), advanceWhilePausedMs: 100 });
    expect(r.stalled).toBe(false);
    expect(r.upstream.reached).toBe(true);
    expect(r.upstreamHeader('x-released-at-tick')).toBeDefined();
  });

  it('runs several plugins on one VM, and several VMs on one host: two queue receivers and a sender', async () => {
    const h = await fixtureHarness('c/shared_queue.c', { vmId: 'sender', pluginName: 'sender' });
    const second = await h.addPlugin({ pluginName: 'second' });
    expect(second.vm).toBe(h.vm);
    const rx1 = await h.addPlugin({ vmId: 'rx1', pluginName: 'rx1' });
    const rx2 = await h.addPlugin({ vmId: 'rx2', pluginName: 'rx2' });
    expect(rx1.vm).not.toBe(h.vm);
    await h.request({ headers: get('/to-one', { 'x-queue-vm': 'rx1' }) });
    await h.request({ headers: get('/to-two', { 'x-queue-vm': 'rx2' }) });
    const said = (source: string) => h.logs.filter((l) => l.source === source).map((l) => l.message);
    expect(said('rx1')).toContain('dequeued /to-one');
    expect(said('rx2')).toContain('dequeued /to-two');
    expect(said('rx1')).not.toContain('dequeued /to-two');
    const chained = await h.requestThrough([h.plugin, second], { headers: get('/both', { 'x-queue-vm': 'rx1' }) });
    expect(chained.upstream.reached).toBe(true);
    expect(said('rx1').filter((m) => m === 'dequeued /both')).toHaveLength(2);
  });
});
