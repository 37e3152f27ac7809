import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { analyzeManifestText } from '../../analyze/index.js';
import {
  DirectorySource,
  loadSignaturePolicy,
  OciModuleSource,
  trustFor,
  Resolver,
  SignatureGate,
  startControlPlane,
  type ControlPlane,
  type ExtensionStatus,
} from '../../control-plane/index.js';
import { sigstoreVerifier } from '../../control-plane/resolver/sigstore-verifier.js';
import { pullModule, pushModule, resolveDigest } from '../../registry/index.js';
import { generateSigningKeyPair, loadPrivateKey, signImage } from '../../registry/signing/index.js';
import { eventually, tempDir, wasmPlugin, writeManifest } from '../control-plane/helpers.js';
import { startRegistry, type RunningRegistry } from '../registry/helpers/docker-registry.js';
import { tinyModule } from '../registry/helpers/wasm-fixture.js';
import { identityToken, startMockSigstore, type MockSigstore } from './helpers/mock-sigstore.js';

/**
 * The control plane enforcing a signature policy, with modules in a real docker-registry. No
 * Envoy here: what a proxy would receive is read from the control plane's status (the served
 * digest), which is what ECDS sends (test/control-plane/ecds.test.ts covers that path).
 */
const CI = {
  issuer: 'https://token.actions.example',
  subject: 'https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main',
};

describe('control plane: signature policy', () => {
  let reg: RunningRegistry;
  let sigstore: MockSigstore;
  let cp: ControlPlane;
  let gate: SignatureGate;
  let dir: string;
  let cacheDir: string;
  let policyDir: string;
  const verified: string[] = [];
  let signedV1 = '';
  const team = generateSigningKeyPair('team passphrase');
  const key = () => loadPrivateKey(team.privateKeyPem, 'team passphrase', 'team.key');
  const ext = (name: string, namespace = 'default') =>
    cp.status().extensions.find((e) => e.name === name && e.namespace === namespace) as ExtensionStatus;
  const settled = (name: string, ns: string, state: string): Promise<ExtensionStatus> =>
    eventually(() => (ext(name, ns)?.state === state ? ext(name, ns) : undefined), `${ns}/${name} to be ${state}`);

  beforeAll(async () => {
    [reg, sigstore] = await Promise.all([startRegistry(), startMockSigstore()]);
    dir = tempDir('sig-cp');
    cacheDir = tempDir('sig-cp-cache');
    policyDir = tempDir('sig-cp-policy');
    writeFileSync(join(policyDir, 'team.pub'), team.publicKeyPem);
    writeFileSync(join(policyDir, 'trusted_root.json'), sigstore.trustedRootJson);
    writeFileSync(
      join(policyDir, 'policy.yaml'),
      [
        'apiVersion: meshwasm.dev/v1alpha1',
        'kind: SignaturePolicy',
        'namespaces:',
        '  default:',
        '    keys: [./team.pub]',
        // Namespace ci trusts one keyless identity, and no key.
        '  ci:',
        '    identities:',
        `      - {issuer: "${CI.issuer}", subject: "${CI.subject}"}`,
        '    trustedRoot: ./trusted_root.json',
      ].join('\n'),
    );
    const policy = await loadSignaturePolicy(join(policyDir, 'policy.yaml'));
    // Count what reaches the registry-reading verifier, to see the cache by digest at work.
    const inner = sigstoreVerifier();
    gate = new SignatureGate(policy!, {
      verify: (ref, trust, opts) => {
        verified.push(ref);
        return inner.verify(ref, trust, opts);
      },
    });

    signedV1 = (await pushModule(tinyModule(undefined, 'authz v1'), `${reg.host}/filters/authz:v1`)).manifestDigest;
    await signImage(`${reg.host}/filters/authz:v1`, { kind: 'key', privateKey: key() });
    await pushModule(tinyModule(undefined, 'plain'), `${reg.host}/filters/plain:v1`);
    await pushModule(tinyModule(undefined, 'team in ci'), `${reg.host}/filters/team-in-ci:v1`);
    await signImage(`${reg.host}/filters/team-in-ci:v1`, { kind: 'key', privateKey: key() });
    await pushModule(tinyModule(undefined, 'ci build'), `${reg.host}/filters/ci:v1`);
    await signImage(`${reg.host}/filters/ci:v1`, {
      kind: 'keyless',
      identityToken: identityToken(CI.issuer, CI.subject),
      fulcioURL: sigstore.url,
      rekorURL: sigstore.url,
    });
    const spec = (repo: string, config: object = {}) => ({
      url: `oci://${reg.host}/filters/${repo}:v1`,
      imagePullPolicy: 'Always',
      pluginConfig: config,
    });
    writeManifest(dir, 'authz.yaml', wasmPlugin('authz', spec('authz')));
    writeManifest(dir, 'plain.yaml', wasmPlugin('plain', spec('plain')));
    writeManifest(dir, 'plain-open.yaml', wasmPlugin('plain', spec('plain'), 'open'));
    writeManifest(dir, 'ci.yaml', wasmPlugin('from-ci', spec('ci'), 'ci'));
    writeManifest(dir, 'ci-team.yaml', wasmPlugin('from-team', spec('team-in-ci'), 'ci'));
    cp = await startControlPlane({
      sources: [new DirectorySource(dir, { debounceMs: 30, rescanMs: 300 })],
      resolver: new Resolver([new OciModuleSource({ resolveDigest, pullModule })], { dir: cacheDir }),
      signatures: gate,
      retryMs: 300,
    });
  });

  afterAll(async () => {
    await cp?.close();
    await Promise.all([reg?.stop(), sigstore?.close()]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(policyDir, { recursive: true, force: true });
  });

  it('serves a module signed by a trusted key, and says who signed it', async () => {
    const authz = await settled('authz', 'default', 'Serving');
    expect(authz.digest).toBe(signedV1.slice('sha256:'.length));
    expect(authz.signedBy).toBe(`key ${team.keyId.slice(0, 16)}`);
  });

  it('refuses an unsigned module under the policy (fallback), and serves it where no policy applies', async () => {
    const refused = await settled('plain', 'default', 'Fallback');
    expect(refused.fallback).toBe('deny-all');
    expect(refused.error).toContain('is unsigned');
    expect(refused.error).toContain('meshwasm sign');
    const open = await settled('plain', 'open', 'Serving');
    expect(open.signedBy).toBeUndefined();
  });

  it('a namespace trusting a keyless identity serves what that identity signed, and refuses a key signature', async () => {
    const fromCi = await settled('from-ci', 'ci', 'Serving');
    expect(fromCi.signedBy).toBe(`${CI.subject} (issuer ${CI.issuer})`);
    const fromTeam = await settled('from-team', 'ci', 'Fallback');
    expect(fromTeam.error).toContain('signed with a key, and the policy trusts no keys');
  });

  it('verifies a digest once: a config change re-resolves the same digest from the verification cache', async () => {
    await settled('authz', 'default', 'Serving');
    const before = { ...gate.stats };
    writeManifest(
      dir,
      'authz.yaml',
      wasmPlugin('authz', {
        url: `oci://${reg.host}/filters/authz:v1`,
        imagePullPolicy: 'Always',
        pluginConfig: { v: 2 },
      }),
    );
    await eventually(() => gate.stats.cacheHits > before.cacheHits, 'the verification cache to answer');
    expect(verified.filter((r) => r === `${reg.host}/filters/authz@${signedV1}`)).toHaveLength(1);
    expect(ext('authz', 'default').state).toBe('Serving');
  });

  it('analyze --policy reports what the control plane would refuse, with the same verifier (MW06xx)', async () => {
    const stranger = generateSigningKeyPair('stranger');
    await pushModule(tinyModule(undefined, 'by stranger'), `${reg.host}/filters/stranger:v1`);
    await signImage(`${reg.host}/filters/stranger:v1`, {
      kind: 'key',
      privateKey: loadPrivateKey(stranger.privateKeyPem, 'stranger', 'stranger.key'),
    });
    const docs = [
      wasmPlugin('signed', { url: `oci://${reg.host}/filters/authz@${signedV1}` }),
      wasmPlugin('unsigned', { url: `oci://${reg.host}/filters/plain:v1` }),
      wasmPlugin('stranger', { url: `oci://${reg.host}/filters/stranger:v1` }),
      wasmPlugin('over-http', { url: 'http://127.0.0.1:1/m.wasm' }),
      wasmPlugin('elsewhere', { url: `oci://${reg.host}/filters/plain:v1` }, 'open'),
    ];
    const report = await analyzeManifestText(docs.map((d) => YAML.stringify(d)).join('---\n'), 'plugins.yaml', {
      signaturePolicy: gate.policy,
    });
    const sig = report.findings
      .filter((f) => f.code.startsWith('MW06'))
      .map((f) => [f.code, f.subject])
      .sort();
    expect(sig).toEqual([
      ['MW0601', 'WasmPlugin default/unsigned'],
      ['MW0602', 'WasmPlugin default/stranger'],
      ['MW0603', 'WasmPlugin default/over-http'],
      ['MW0604', 'WasmPlugin default/signed'],
    ]);
    const strangerFinding = report.findings.find((f) => f.code === 'MW0602')!;
    expect(strangerFinding.message).toContain(
      `signed by key ${stranger.keyId.slice(0, 16)}, which the policy does not trust`,
    );
  });

  it('tampered module (other bytes pushed under the same tag): keeps serving the previous verified digest', async () => {
    const evil = await pushModule(tinyModule(undefined, 'authz evil'), `${reg.host}/filters/authz:v1`);
    writeManifest(
      dir,
      'authz.yaml',
      wasmPlugin('authz', {
        url: `oci://${reg.host}/filters/authz:v1`,
        imagePullPolicy: 'Always',
        pluginConfig: { v: 3 },
      }),
    );
    const authz = await settled('authz', 'default', 'ServingPrevious');
    expect(authz.digest).toBe(signedV1.slice('sha256:'.length));
    expect(authz.error).toContain(`sha256:${evil.manifestDigest.slice(7)}) is not served`);
    expect(authz.error).toContain('is unsigned');
    // Proxies download modules from the control plane: the tampered bytes are not there, the verified ones are.
    const get = (sha: string) => fetch(`${cp.httpUrl}/modules/${sha}.wasm`).then((r) => r.status);
    expect(await get(evil.moduleSha256)).toBe(404);
    expect(await get(authz.moduleSha256)).toBe(200);
  });

  it('a module signed after it was refused is served on the next retry (refusals are not cached)', async () => {
    expect(ext('plain', 'default').state).toBe('Fallback');
    await signImage(`${reg.host}/filters/plain:v1`, { kind: 'key', privateKey: key() });
    const healed = await settled('plain', 'default', 'Serving');
    expect(healed.signedBy).toBe(`key ${team.keyId.slice(0, 16)}`);
  });
});

describe('signature policy files and the control-plane command', () => {
  const dir = tempDir('sig-policy-files');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, lines: string[]) => {
    writeFileSync(join(dir, name), lines.join('\n'));
    return join(dir, name);
  };
  const header = ['apiVersion: meshwasm.dev/v1alpha1', 'kind: SignaturePolicy'];

  it('names the file, the entry and the next step for each mistake', async () => {
    await expect(loadSignaturePolicy(write('nokind.yaml', ['namespaces: {}']))).rejects.toThrow(
      /must start with apiVersion: meshwasm.dev\/v1alpha1 and kind: SignaturePolicy/,
    );
    await expect(loadSignaturePolicy(write('empty.yaml', [...header, 'namespaces:', '  web: {}']))).rejects.toThrow(
      /namespaces.web trusts nobody; list keys/,
    );
    await expect(
      loadSignaturePolicy(write('missing.yaml', [...header, 'namespaces:', '  web:', '    keys: [./nope.pub]'])),
    ).rejects.toMatchObject({ kind: 'not-found', message: expect.stringContaining('public key of') });
    await expect(
      loadSignaturePolicy(
        write('noroot.yaml', [...header, 'namespaces:', '  web:', '    identities: [{issuer: https://i, subject: s}]']),
      ),
    ).rejects.toThrow(/lists identities but no trustedRoot/);
  });

  it('a namespace entry replaces "*"; --trusted-key adds to every entry', async () => {
    writeFileSync(join(dir, 'a.pub'), 'A');
    writeFileSync(join(dir, 'b.pub'), 'B');
    const file = write('ok.yaml', [
      ...header,
      'namespaces:',
      '  "*":',
      '    keys: [./a.pub]',
      '  web:',
      '    keys: [./b.pub]',
    ]);
    const policy = (await loadSignaturePolicy(file, [join(dir, 'a.pub')]))!;
    expect(trustFor(policy, 'web')!.keys.map((k) => k.pem)).toEqual(['B', 'A']);
    expect(trustFor(policy, 'other')!.keys.map((k) => k.pem)).toEqual(['A', 'A']);
    expect(trustFor(await loadSignaturePolicy(undefined, []), 'web')).toBeUndefined();
  });

  it('meshwasm control-plane refuses to start on a key that is not a public key (exit 3)', async () => {
    writeFileSync(join(dir, 'garbage.pub'), 'not a key');
    const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          bin,
          'control-plane',
          '--config-dir',
          dir,
          '--trusted-key',
          join(dir, 'garbage.pub'),
          '--xds-listen',
          '127.0.0.1:0',
          '--http-listen',
          '127.0.0.1:0',
          '--cache-dir',
          join(dir, 'cache'),
        ],
        { timeout: 60_000 },
        (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`--trusted-key: ${join(dir, 'garbage.pub')} is not a PEM public key`);
  });
});
