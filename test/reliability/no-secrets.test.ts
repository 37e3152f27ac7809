// Issue 14 item 10: no secrets in output. Plugin configurations (JWT secrets, API keys), VM env
// values, a password in a module URL and a registry password in a pull secret go into real
// `meshwasm analyze`, `meshwasm control-plane`, `meshwasm proxy --xds` and `meshwasm status`
// processes; none of their text or JSON output, logs or the /status and /stats endpoints may
// carry any of them. Where a value matters, the output names its field path instead.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modules as watModules } from '../analyze/helpers/wat-modules.js';
import { eventually, sha256, startModuleServer, tempDir, wasmPlugin } from '../control-plane/helpers.js';
import { watModule } from '../proxy/helpers/modules.js';
import { startUpstream, type TestUpstream } from '../proxy/helpers/upstream.js';
import { freePort, startControlPlaneProcess, type ControlPlaneProcess } from './helpers/control-plane-process.js';
import { runCli } from './helpers/run-cli.js';

const SECRETS = {
  jwt: 'jwt-Secret-4b1d9e77',
  apiKey: 'api-key-c0ffee1234',
  env: 'env-val-5566ee99',
  urlPassword: 'url-pw-88aa11bb',
  registryPassword: 'reg-pw-d00dfeed',
};
const pluginConfig = {
  jwt: { issuer: 'acme', secret: SECRETS.jwt },
  apiKeys: [SECRETS.apiKey],
  rules: [{ path: '/x' }],
};
const env = [{ name: 'UPSTREAM_TOKEN', value: SECRETS.env }];
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;

function expectNoSecret(where: string, text: string): void {
  for (const [name, value] of Object.entries(SECRETS))
    expect(text.includes(value), `${where} contains the ${name} secret`).toBe(false);
}

describe('meshwasm analyze never echoes configuration values', () => {
  const dir = tempDir('no-secrets-analyze');
  beforeAll(() => {
    writeFileSync(join(dir, 'rejects.wasm'), watModules.rejectsConfig());
    const dockerconfig = Buffer.from(
      JSON.stringify({ auths: { 'registry.example': { username: 'ci', password: SECRETS.registryPassword } } }),
    ).toString('base64');
    writeFileSync(
      join(dir, 'authz.yaml'),
      [
        YAML.stringify(
          wasmPlugin('authz', {
            url: `file://${join(dir, 'rejects.wasm')}`,
            pluginConfig,
            vmConfig: { env },
            imagePullSecret: 'pull',
          }),
        ),
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'pull', namespace: 'default' },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': dockerconfig },
        }),
      ].join('---\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('MW0307 names the field paths of the refused pluginConfig, in text and JSON', async () => {
    const text = await runCli(['analyze', dir]);
    expect(text.status).toBe(9);
    expect(text.stdout).toMatch(
      /MW0307 .*pluginConfig fields: jwt\.issuer, jwt\.secret, apiKeys\[\], rules\[\]\.path; values not shown/,
    );
    expectNoSecret('analyze text stdout', text.stdout);
    expectNoSecret('analyze stderr', text.stderr);
    const json = await runCli(['analyze', dir, '-o', 'json']);
    expect(JSON.parse(json.stdout).findings.some((f: { code: string }) => f.code === 'MW0307')).toBe(true);
    expectNoSecret('analyze JSON', json.stdout + json.stderr);
  });
});

describe('control plane, proxy and status never echo secrets', () => {
  const tagger = watModule('tagger');
  let modules: Awaited<ReturnType<typeof startModuleServer>>;
  let up: TestUpstream;
  let cp: ControlPlaneProcess;
  let proxy: ChildProcess;
  let proxyOut = '';
  let adminPort = 0;
  const dir = tempDir('no-secrets-cp');
  const cacheDir = tempDir('no-secrets-cache');

  beforeAll(async () => {
    modules = await startModuleServer({ '/tagger.wasm': tagger });
    up = await startUpstream();
    mkdirSync(dir, { recursive: true });
    const common = { sha256: sha256(tagger), pluginName: 'tagger_root', pluginConfig, vmConfig: { env } };
    writeFileSync(
      join(dir, 'ok.yaml'),
      YAML.stringify(wasmPlugin('ok', { url: `${modules.url}/tagger.wasm`, ...common })),
    );
    // Credentials in the url: the fetch fails, and its error must not quote them.
    const withPassword = modules.url.replace('http://', `http://deploy:${SECRETS.urlPassword}@`);
    writeFileSync(
      join(dir, 'userinfo.yaml'),
      YAML.stringify(wasmPlugin('userinfo', { url: `${withPassword}/tagger.wasm`, ...common })),
    );
    // An invalid manifest full of secrets: its error names the field, not the values.
    writeFileSync(
      join(dir, 'invalid.yaml'),
      YAML.stringify(wasmPlugin('invalid', { url: `${modules.url}/tagger.wasm`, phase: 'NOPE', ...common })),
    );
    cp = await startControlPlaneProcess({
      configDir: dir,
      cacheDir,
      xdsPort: await freePort(),
      httpPort: await freePort(),
    });
    adminPort = await freePort();
    proxy = spawn(
      process.execPath,
      [
        bin,
        'proxy',
        '--upstream',
        up.url,
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--xds',
        cp.xds,
        '--admin',
        String(adminPort),
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proxy.stdout!.on('data', (d: Buffer) => {
      proxyOut += d.toString();
    });
    proxy.stderr!.on('data', (d: Buffer) => {
      proxyOut += d.toString();
    });
    await eventually(async () => {
      const s = (await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).json()) as {
        chain: { filters: unknown[] };
      };
      return s.chain.filters.length >= 1;
    }, 'the proxy running the chain');
  });

  afterAll(async () => {
    proxy?.kill('SIGTERM');
    await cp?.stop('SIGTERM');
    await modules?.close();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('GET /status, meshwasm status (text and JSON), the proxy /stats and both processes logs', async () => {
    const status = await eventually(async () => {
      const t = await (await fetch(`${cp.http}/status`)).text();
      return /userinfo/.test(t) && /"error"/.test(t) ? t : undefined;
    }, 'status with the failed fetch');
    expect(status).toContain('***@');
    expect(status).toContain('spec.phase');
    expectNoSecret('/status', status);
    const text = await runCli(['status', '--control-plane', cp.http]);
    expect(text.stdout).toContain('userinfo');
    expectNoSecret('meshwasm status', text.stdout + text.stderr);
    const json = await runCli(['status', '--control-plane', cp.http, '-o', 'json']);
    expectNoSecret('meshwasm status -o json', json.stdout + json.stderr);
    const stats = await (await fetch(`http://127.0.0.1:${adminPort}/stats`)).text();
    expectNoSecret('proxy /stats', stats);
    expectNoSecret('proxy output', proxyOut);
    expectNoSecret('control-plane output', cp.stderr());
  });
});
