import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseManifests, validateManifest } from '../../control-plane/index.js';
import { sha256, startModuleServer, tempDir, wasmModule } from '../control-plane/helpers.js';

/**
 * Runs the attach command in-process with argv-style flags and returns what it printed on stdout.
 * (The flags are mapped here as commander would; cli/program.ts declares the same ones.)
 */
async function attach(ref: string, ...args: string[]): Promise<string> {
  // These tests are about the manifest's shape; the analyze checks attach also runs are tested below.
  const opts: Record<string, any> = {
    analyze: false,
    namespace: 'default',
    kind: 'WasmPlugin',
    moduleBaseUrl: 'http://127.0.0.1:18001',
    configDir: '.meshwasm/extensions',
    output: 'text',
  };
  const repeatable = new Set(['selector', 'targetRef']);
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const key =
      flag === '-o' ? 'output' : flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === 'envoy' || key === 'apply' || key === 'analyze' || key === 'force') {
      opts[key] = true;
      continue;
    }
    const value = args[++i]!;
    if (repeatable.has(key)) (opts[key] ??= []).push(value);
    else opts[key] = value;
  }
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
    out += String(chunk);
    return true;
  });
  try {
    await (await import('../../cli/commands/attach.js')).attach(ref, opts as any);
  } finally {
    spy.mockRestore();
  }
  return out;
}

const DIGEST = 'c'.repeat(64);
const PINNED = `127.0.0.1:5000/filters/authz@sha256:${DIGEST}`;

describe('meshwasm attach (output checked against the real Istio CRD schemas)', () => {
  const mod = wasmModule('attach me');
  let server: Awaited<ReturnType<typeof startModuleServer>>;
  const dir = tempDir('attach');
  beforeAll(async () => {
    server = await startModuleServer({ '/authz.wasm': mod });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('emits a WasmPlugin with every flag, pinned by manifest digest for an oci ref', async () => {
    writeFileSync(join(dir, 'cfg.yaml'), 'rules:\n  - path: /admin\n    deny: true\n');
    const out = await attach(
      PINNED,
      '--name',
      'authz',
      '--namespace',
      'shop',
      '--selector',
      'app=web',
      '--selector',
      'tier=front',
      '--phase',
      'AUTHZ',
      '--priority',
      '10',
      '--config',
      `@${join(dir, 'cfg.yaml')}`,
      '--fail-strategy',
      'FAIL_OPEN',
      '--pull-secret',
      'regcred',
      '--pull-policy',
      'Always',
      '--root-id',
      'authz_root',
    );
    const doc = YAML.parse(out);
    validateManifest(doc, 'attach output');
    expect(doc).toEqual({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      metadata: { name: 'authz', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'web', tier: 'front' } },
        phase: 'AUTHZ',
        priority: 10,
        url: `oci://${PINNED}`,
        sha256: DIGEST,
        imagePullPolicy: 'Always',
        imagePullSecret: 'regcred',
        pluginName: 'authz_root',
        pluginConfig: { rules: [{ path: '/admin', deny: true }] },
        failStrategy: 'FAIL_OPEN',
      },
    });
  });

  it('emits a TrafficExtension (Wasm fields under spec.wasm, targetRefs) with FAIL_RELOAD, as JSON', async () => {
    const out = await attach(
      PINNED,
      '--kind',
      'TrafficExtension',
      '--name',
      'stats',
      '--target-ref',
      'Gateway/ingress',
      '--target-ref',
      'Service/reviews',
      '--phase',
      'STATS',
      '--priority',
      '-5',
      '--config',
      '{"prefix":"shop"}',
      '--fail-strategy',
      'FAIL_RELOAD',
      '--pull-secret',
      'regcred',
      '--pull-policy',
      'IfNotPresent',
      '--root-id',
      'stats',
      '-o',
      'json',
    );
    const doc = JSON.parse(out);
    validateManifest(doc, 'attach output');
    expect(doc.spec).toEqual({
      targetRefs: [
        { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'ingress' },
        { group: '', kind: 'Service', name: 'reviews' },
      ],
      phase: 'STATS',
      priority: -5,
      wasm: {
        url: `oci://${PINNED}`,
        sha256: DIGEST,
        imagePullPolicy: 'IfNotPresent',
        imagePullSecret: 'regcred',
        pluginName: 'stats',
        pluginConfig: { prefix: 'shop' },
        failStrategy: 'FAIL_RELOAD',
      },
    });
    expect(parseManifests(out, 'out.json').extensions[0]).toMatchObject({
      kind: 'TrafficExtension',
      phase: 'STATS',
      priority: -5,
    });
  });

  it('pins an http(s) module by the sha256 of the .wasm itself', async () => {
    const doc = YAML.parse(await attach(`${server.url}/authz.wasm`, '--name', 'http-authz'));
    validateManifest(doc, 'attach output');
    expect(doc.spec).toEqual({ url: `${server.url}/authz.wasm`, sha256: sha256(mod) });
  });

  it('prints the equivalent Envoy HTTP filter config with --envoy', async () => {
    const doc = YAML.parse(
      await attach(
        `${server.url}/authz.wasm`,
        '--name',
        'authz',
        '--envoy',
        '--config',
        '{"a":1}',
        '--root-id',
        'r',
        '--fail-strategy',
        'FAIL_OPEN',
      ),
    );
    expect(doc).toEqual({
      name: 'default.authz',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
        config: {
          name: 'default.authz',
          root_id: 'r',
          vm_config: {
            vm_id: 'default.authz',
            runtime: 'envoy.wasm.runtime.v8',
            code: {
              remote: {
                http_uri: {
                  uri: `http://127.0.0.1:18001/modules/${sha256(mod)}.wasm`,
                  cluster: 'meshwasm-control-plane',
                  timeout: '30s',
                },
                sha256: sha256(mod),
              },
            },
          },
          configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"a":1}' },
          fail_open: true,
        },
      },
    });
  });

  it('--apply without a kubectl context writes into the control plane config directory', async () => {
    const cfgDir = join(dir, 'extensions');
    const out = JSON.parse(
      await attach(PINNED, '--name', 'applied', '--apply', '--config-dir', cfgDir, '-o', 'json', '--selector', 'app=x'),
    );
    expect(out.applied).toBe('config-dir');
    const written = parseManifests(readFileSync(out.file, 'utf8'), out.file);
    expect(written.errors).toEqual([]);
    expect(written.extensions[0]).toMatchObject({ name: 'applied', sha256: DIGEST, selector: { app: 'x' } });
  });

  it.each([
    [['--selector', 'app'], '--selector "app" is not key=value'],
    [['--target-ref', 'ingress'], '--target-ref "ingress" is not Kind/name'],
    [['--selector', 'app=a', '--target-ref', 'Gateway/g'], 'not both'],
    [['--config', '[1,2]'], 'is not a JSON object'],
    [['--priority', 'high'], '--priority "high" is not an integer'],
    [['--selector', 'app=we*b'], 'wildcard not allowed'],
  ])('refuses bad input %j with a clear error', async (args, message) => {
    await expect(attach(PINNED, '--name', 'x', ...args)).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining(message),
    });
  });

  it('runs the analyze checks on what it emits and refuses, exit 9, a module the mesh could not load', async () => {
    let err: unknown;
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      stderr.push(String(chunk));
      return true;
    });
    try {
      await attach(`${server.url}/authz.wasm`, '--name', 'checked', '--analyze');
    } catch (e) {
      err = e;
    } finally {
      spy.mockRestore();
    }
    expect((err as { exitCode?: number }).exitCode).toBe(9);
    expect(String((err as Error).message)).toContain('--no-analyze');
    expect(String((err as Error).message)).toContain('--force');
    // The module served there has no ABI marker: analyze says so, naming the extension.
    expect(stderr.join('')).toMatch(/MW\d{4} Error \(WasmPlugin default\/checked\)/);
  });

  it('--force prints the manifest despite failing checks, their findings still on stderr', async () => {
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      stderr.push(String(chunk));
      return true;
    });
    let out = '';
    try {
      out = await attach(`${server.url}/authz.wasm`, '--name', 'forced', '--analyze', '--force');
    } finally {
      spy.mockRestore();
    }
    expect(YAML.parse(out)).toMatchObject({ kind: 'WasmPlugin', metadata: { name: 'forced' } });
    expect(stderr.join('')).toMatch(/MW\d{4} Error \(WasmPlugin default\/forced\)/);
    expect(stderr.join('')).toContain('--force: going on despite');
  });
});
