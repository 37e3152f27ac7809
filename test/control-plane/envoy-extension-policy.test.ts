// Envoy Gateway's EnvoyExtensionPolicy end to end, checked against Envoy Gateway's real CRD
// schema: attach writes it (built CLI), the directory source serves its Wasm entry over real
// gRPC (Envoy's ECDS protos) to a proxy labelled as the Gateway's, analyze checks it, and an
// invalid policy is reported with its field.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectorySource,
  FileModuleSource,
  HttpModuleSource,
  Resolver,
  startControlPlane,
  validateEnvoyExtensionPolicy,
  type ControlPlane,
} from '../../control-plane/index.js';
import { startProxy, type RunningProxy } from '../../proxy/index.js';
import { followXds } from '../../proxy/xds-source.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { eventually, sha256, startModuleServer, tempDir, wasmModule } from './helpers.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  return new Promise((r) => child.once('close', (status) => r({ status, stdout, stderr })));
}

describe('EnvoyExtensionPolicy (Envoy Gateway CRD schema)', () => {
  const tagger = watModule('tagger');
  const notAFilter = wasmModule('not a filter');
  const dir = tempDir('eep');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlane;
  let proxy: RunningProxy;
  let stop: () => void;

  beforeAll(async () => {
    modules = await startModuleServer({ '/tagger.wasm': tagger, '/bad.wasm': notAFilter });
    up = await startUpstream();
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new HttpModuleSource(), new FileModuleSource()], { dir: tempDir('eep-cache') }),
    });
    proxy = await startProxy({ upstream: up.url, initiallyReady: false });
    stop = await followXds(proxy, {
      address: cp.xdsAddress,
      nodeId: 'eg-proxy',
      labels: { 'gateway.networking.k8s.io/gateway-name': 'eg' },
      namespace: 'default',
    });
  }, 60_000);
  afterAll(async () => {
    stop?.();
    await proxy?.close();
    await cp?.close();
    await up?.close();
    await modules?.close();
  });

  it('attach --kind EnvoyExtensionPolicy writes a policy the control plane serves to the Gateway proxy', async () => {
    const r = await run([
      'attach',
      `${modules.url}/tagger.wasm`,
      '--name',
      'tagger',
      '--kind',
      'EnvoyExtensionPolicy',
      '--target-ref',
      'Gateway/eg',
      '--root-id',
      'tagger_root',
      '--config',
      '{"tag":"eg"}',
      '--apply',
      '--config-dir',
      dir,
      '--no-analyze',
      '-o',
      'json',
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const written = YAML.parse(readFileSync(out.file, 'utf8'));
    expect(() => validateEnvoyExtensionPolicy(written, 'written')).not.toThrow();
    expect(written.spec.wasm[0]).toEqual({
      name: 'tagger',
      rootID: 'tagger_root',
      code: { type: 'HTTP', http: { url: `${modules.url}/tagger.wasm`, sha256: sha256(tagger) } },
      config: { tag: 'eg' },
    });

    await eventually(() => proxy.chain().filters.length === 1, 'the policy in the proxy chain');
    expect(proxy.chain().filters[0]).toMatchObject({
      name: 'envoyextensionpolicy/default/tagger/wasm/0',
      sha256: sha256(tagger),
    });
    const n = up.seen.length;
    await fetch(`${proxy.url}/through-eg`);
    expect(up.seen[n]!.headers['x-filter-version']).toBe('{"tag":"eg"}');
    const ext = cp.status().extensions.find((e) => e.kind === 'EnvoyExtensionPolicy')!;
    expect(ext.condition.reason).toBe('Serving');
  });

  it('refuses what Envoy Gateway cannot express, and reports an invalid policy with its field', async () => {
    const sel = await run([
      'attach',
      `${modules.url}/tagger.wasm`,
      '--name',
      'x',
      '--kind',
      'EnvoyExtensionPolicy',
      '--selector',
      'app=x',
      '--no-analyze',
    ]);
    expect(sel.status).toBe(3);
    expect(sel.stderr).toContain('not --selector');
    const reload = await run([
      'attach',
      `${modules.url}/tagger.wasm`,
      '--name',
      'x',
      '--kind',
      'EnvoyExtensionPolicy',
      '--target-ref',
      'Gateway/eg',
      '--fail-strategy',
      'FAIL_RELOAD',
      '--no-analyze',
    ]);
    expect(reload.status).toBe(3);
    expect(reload.stderr).toContain('failOpen only');

    const bad = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyExtensionPolicy',
      metadata: { name: 'bad', namespace: 'default' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg' }],
        wasm: [{ name: 'w', code: { type: 'Image', http: { url: 'http://x/y.wasm' } } }],
      },
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'bad.yaml'), YAML.stringify(bad));
    const err = await eventually(
      () => cp.status().sourceErrors.find((e) => e.origin.endsWith('bad.yaml')),
      'the invalid policy in status',
    );
    expect(err.message).toContain(
      'EnvoyExtensionPolicy default/bad: field spec.wasm[0].code.image must be set when type is Image',
    );
  });

  it('analyze checks the Wasm entries of a policy as the control plane would serve them', async () => {
    const file = join(tempDir('eep-analyze'), 'policy.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      YAML.stringify({
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'EnvoyExtensionPolicy',
        metadata: { name: 'p', namespace: 'default' },
        spec: {
          targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg' }],
          wasm: [
            {
              name: 'bad',
              code: { type: 'HTTP', http: { url: `${modules.url}/bad.wasm`, sha256: sha256(notAFilter) } },
            },
          ],
        },
      }),
    );
    const r = await run(['analyze', file, '-o', 'json']);
    const report = JSON.parse(r.stdout);
    expect(report.checked).toEqual(['EnvoyExtensionPolicy default/p-bad']);
    expect(
      report.findings.some((f: any) => f.severity === 'Error' && f.subject === 'EnvoyExtensionPolicy default/p-bad'),
    ).toBe(true);
    expect(report.findings.some((f: any) => f.code === 'MW0004')).toBe(false);
    expect(r.status).toBe(9);
  });
});
