// attach --apply never picks a cluster by itself, with the real kubectl (Debian's) reading real
// kubeconfig files; the "clusters" are HTTP servers on 127.0.0.1 that record what reaches them
// (no Kubernetes API server here, so the apply itself is refused and we check where it went).
// attach --envoy and FAIL_RELOAD: Envoy's failure_policy, or a refusal for an older Envoy.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, startModuleServer, tempDir, wasmModule } from '../control-plane/helpers.js';

const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
const PINNED = `127.0.0.1:5000/filters/authz@sha256:${'c'.repeat(64)}`;

function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

async function recordingServer(): Promise<{ url: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Failure","code":404}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths, server };
}

describe('meshwasm attach --apply: only the cluster the user names', () => {
  const dir = tempDir('apply-target');
  let prod: Awaited<ReturnType<typeof recordingServer>>;
  let dev: Awaited<ReturnType<typeof recordingServer>>;
  let kubeconfig: string;
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  const mod = wasmModule('reload me');

  beforeAll(async () => {
    prod = await recordingServer();
    dev = await recordingServer();
    modules = await startModuleServer({ '/m.wasm': mod });
    kubeconfig = join(dir, 'kubeconfig');
    // The current context is "production": a user trying things locally with it selected.
    writeFileSync(
      kubeconfig,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'production',
        clusters: [
          { name: 'prod-cluster', cluster: { server: prod.url } },
          { name: 'dev-cluster', cluster: { server: dev.url } },
        ],
        contexts: [
          { name: 'production', context: { cluster: 'prod-cluster', user: 'u' } },
          { name: 'dev', context: { cluster: 'dev-cluster', user: 'u' } },
        ],
        users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
      }),
    );
  });
  afterAll(async () => {
    for (const s of [prod, dev]) await new Promise<void>((r) => s.server.close(() => r()));
    await modules.close();
  });

  it('without --context or --kubeconfig writes into the config directory and says so, even with a current context', async () => {
    const cfgDir = join(dir, 'extensions');
    const r = await run(
      ['attach', PINNED, '--name', 'authz', '--apply', '--config-dir', cfgDir, '--no-analyze', '--selector', 'app=x'],
      { KUBECONFIG: kubeconfig },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no --context or --kubeconfig, so no cluster was touched');
    expect(existsSync(join(cfgDir, 'wasmplugin-default-authz.yaml'))).toBe(true);
    expect(prod.paths).toEqual([]);
  });

  it('with --context applies to that cluster, naming cluster, server and namespace, and never the current one', async () => {
    const r = await run([
      'attach',
      PINNED,
      '--name',
      'authz',
      '--namespace',
      'shop',
      '--apply',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'dev',
      '--dry-run',
      'server',
      '--no-analyze',
      '--selector',
      'app=x',
    ]);
    // Our "cluster" is no API server, so kubectl fails: the message says where it tried.
    expect(r.status).toBe(6);
    expect(r.stderr).toContain(
      `kubectl apply to cluster "dev-cluster" (${dev.url}) via context "dev", namespace shop failed`,
    );
    expect(dev.paths.length).toBeGreaterThan(0);
    expect(prod.paths).toEqual([]);
  });

  it('an unknown --context is an error naming it, and nothing is contacted', async () => {
    const r = await run([
      'attach',
      PINNED,
      '--name',
      'authz',
      '--apply',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'staging',
      '--no-analyze',
      '--selector',
      'app=x',
    ]);
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('context "staging" not found');
    expect(prod.paths).toEqual([]);
  });

  it('--envoy --fail-strategy FAIL_RELOAD emits failure_policy; for Envoy 1.32 it refuses with the reason', async () => {
    const args = [
      'attach',
      `${modules.url}/m.wasm`,
      '--name',
      'authz',
      '--envoy',
      '--fail-strategy',
      'FAIL_RELOAD',
      '-o',
      'json',
    ];
    const ok = await run(args);
    expect(ok.status).toBe(0);
    const config = JSON.parse(ok.stdout).typed_config.config;
    expect(config.failure_policy).toBe('FAIL_RELOAD');
    expect(config).not.toHaveProperty('fail_open');
    expect(config.vm_config.code.remote.sha256).toBe(sha256(mod));

    const old = await run([...args, '--envoy-version', '1.32']);
    expect(old.status).toBe(3);
    expect(old.stderr).toContain('Envoy 1.32 has only fail_open, so the filter would fail closed instead of reloading');
    // With -o json the refusal is the JSON error document on stdout, and no manifest.
    expect(JSON.parse(old.stdout)).toEqual({ error: expect.objectContaining({ exitCode: 3 }) });
    const open = await run([...args.slice(0, 6), 'FAIL_OPEN', '-o', 'json', '--envoy-version', '1.20']);
    expect(JSON.parse(open.stdout).typed_config.config.fail_open).toBe(true);
  });
});
