import { generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, openTarget, pushModule, sha256Digest } from '../../registry/index.js';
import { attachReferrer } from '../../registry/signing/referrers-store.js';
import {
  buildTrustPolicy,
  generateSigningKeyPair,
  listReferrers,
  loadPrivateKey,
  referrersTag,
  signImage,
  verifyImage,
} from '../../registry/signing/index.js';
import { startRegistry, type RunningRegistry } from '../registry/helpers/docker-registry.js';
import { tinyModule } from '../registry/helpers/wasm-fixture.js';
import { writeCosignLegacySignature } from './helpers/cosign-legacy.js';
import { identityToken, startMockSigstore, type MockSigstore } from './helpers/mock-sigstore.js';
import { startReferrersApiProxy } from './helpers/referrers-api-proxy.js';

/** sign and verify against a real docker-registry (distribution 2.8: no referrers API) and an OCI layout. */
let reg: RunningRegistry;
let sigstore: MockSigstore;
let dir: string;
const team = generateSigningKeyPair('team passphrase');
const other = generateSigningKeyPair('other passphrase');
const teamKey = () => loadPrivateKey(team.privateKeyPem, 'team passphrase', 'team.key');
const trustTeam = () => buildTrustPolicy({ keys: [{ pem: team.publicKeyPem, name: 'team.pub' }] });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshwasm-signing-'));
  process.env.DOCKER_CONFIG = join(dir, 'docker');
  [reg, sigstore] = await Promise.all([startRegistry(), startMockSigstore()]);
});
afterAll(async () => {
  await Promise.all([reg?.stop(), sigstore?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('sign and verify module images', () => {
  it('signs with a key and verifies under a policy trusting that key, through the sha256-<hex> tag index', async () => {
    const ref = `${reg.host}/filters/authz:v1`;
    const pushed = await pushModule(tinyModule(undefined, 'authz v1'), ref);
    const signed = await signImage(ref, { kind: 'key', privateKey: teamKey() });
    expect(signed.subjectDigest).toBe(pushed.manifestDigest);
    expect(signed.storedVia).toBe('tag-schema');
    expect(signed.signer).toEqual({ kind: 'key', keyId: team.keyId });

    const { target } = openTarget(ref);
    expect(await target.tags()).toContain(referrersTag(pushed.manifestDigest));
    const { referrers } = await listReferrers(target, pushed.manifestDigest);
    expect(referrers.map((r) => [r.digest, r.artifactType])).toEqual([
      [signed.signatureDigest, 'application/vnd.dev.sigstore.bundle.v0.3+json'],
    ]);

    const report = await verifyImage(ref, trustTeam());
    expect(report).toMatchObject({ verified: true, digest: pushed.manifestDigest, signer: { keyId: team.keyId } });

    const stranger = await verifyImage(
      ref,
      buildTrustPolicy({ keys: [{ pem: other.publicKeyPem, name: 'other.pub' }] }),
    );
    expect(stranger.verified).toBe(false);
    expect(stranger.signatures[0]?.reason).toContain(`signed by key ${team.keyId.slice(0, 16)}`);
  });

  it('uses the referrers API where the registry has one, and adds no sha256-<hex> tag (API emulated in front of the real registry)', async () => {
    const api = await startReferrersApiProxy(reg.host);
    try {
      const ref = `${api.host}/filters/with-api:v1`;
      const pushed = await pushModule(tinyModule(undefined, 'with api'), ref);
      const signed = await signImage(ref, { kind: 'key', privateKey: teamKey() });
      expect(signed.storedVia).toBe('referrers-api');
      const { target } = openTarget(ref);
      expect(await target.tags()).toEqual(['v1']);
      expect(await verifyImage(ref, trustTeam())).toMatchObject({
        verified: true,
        referrers: 'referrers-api',
        digest: pushed.manifestDigest,
      });
    } finally {
      await api.stop();
    }
  });

  it('a module pushed again under the same tag (tampered) no longer verifies', async () => {
    const ref = `${reg.host}/filters/tamper:v1`;
    await pushModule(tinyModule(undefined, 'genuine'), ref);
    await signImage(ref, { kind: 'key', privateKey: teamKey() });
    expect((await verifyImage(ref, trustTeam())).verified).toBe(true);
    const evil = await pushModule(tinyModule(undefined, 'tampered'), ref);
    const report = await verifyImage(ref, trustTeam());
    expect(report.digest).toBe(evil.manifestDigest);
    expect(report.verified).toBe(false);
    expect(report.signatures).toEqual([]);
  });

  it('a bundle re-attached to another image does not verify: the signed statement names the original digest', async () => {
    const a = await pushModule(tinyModule(undefined, 'copy a'), `${reg.host}/filters/copy:a`);
    const b = await pushModule(tinyModule(undefined, 'copy b'), `${reg.host}/filters/copy:b`);
    const signed = await signImage(`${reg.host}/filters/copy:a`, { kind: 'key', privateKey: teamKey() });
    // An attacker copies a's referrer manifest, points its subject at b, and attaches it to b.
    const { target } = openTarget(`${reg.host}/filters/copy:a`);
    const original = JSON.parse(
      new TextDecoder().decode(
        await target.fetch({ mediaType: MediaType.ociManifest, digest: signed.signatureDigest, size: 0 }),
      ),
    );
    original.subject = { mediaType: b.mediaType, digest: b.manifestDigest, size: 0 };
    const bytes = new TextEncoder().encode(JSON.stringify(original));
    const desc = {
      mediaType: MediaType.ociManifest,
      digest: sha256Digest(bytes),
      size: bytes.byteLength,
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    };
    await attachReferrer(target, b.manifestDigest, { desc, bytes }, []);
    const report = await verifyImage(`${reg.host}/filters/copy:b`, trustTeam());
    expect(report.verified).toBe(false);
    expect(report.signatures[0]?.reason).toBe(
      `the signed statement names ${a.manifestDigest}, not ${b.manifestDigest}`,
    );
  });

  it('keyless: Fulcio certificate and Rekor entry from @sigstore/mock, identity checked against the policy', async () => {
    const ref = `${reg.host}/filters/keyless:v1`;
    await pushModule(tinyModule(undefined, 'keyless'), ref);
    const issuer = 'https://token.actions.example';
    const subject = 'https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main';
    const signed = await signImage(ref, {
      kind: 'keyless',
      identityToken: identityToken(issuer, subject),
      fulcioURL: sigstore.url,
      rekorURL: sigstore.url,
    });
    expect(signed.signer).toEqual({ kind: 'keyless', issuer, subject });
    expect(signed.tlogIndex).toBeDefined();

    const trusted = buildTrustPolicy({ identities: [{ issuer, subject }], trustedRootJson: sigstore.trustedRootJson });
    expect(await verifyImage(ref, trusted)).toMatchObject({ verified: true, signer: { issuer, subject } });

    const otherIdentity = buildTrustPolicy({
      identities: [{ issuer, subject: 'https://github.com/evil/filters/.github/workflows/x.yml@refs/heads/main' }],
      trustedRootJson: sigstore.trustedRootJson,
    });
    const refused = await verifyImage(ref, otherIdentity);
    expect(refused.verified).toBe(false);
    expect(refused.signatures[0]?.reason).toContain('an identity the policy does not trust');

    const noRoot = await verifyImage(ref, buildTrustPolicy({ identities: [{ issuer, subject }] }));
    expect(noRoot.signatures[0]?.reason).toContain('no trusted root');
  });

  it("reads cosign's legacy sha256-<hex>.sig tag, and refuses one whose payload names another digest", async () => {
    const cosignKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cosignPub = cosignKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const trustCosign = buildTrustPolicy({ keys: [{ pem: cosignPub, name: 'cosign.pub' }] });
    const good = await pushModule(tinyModule(undefined, 'legacy good'), `${reg.host}/filters/legacy:good`);
    await writeCosignLegacySignature(`${reg.host}/filters/legacy`, good.manifestDigest, cosignKeys.privateKey);
    const ok = await verifyImage(`${reg.host}/filters/legacy:good`, trustCosign);
    expect(ok.verified).toBe(true);
    expect(ok.signatures[0]?.source).toBe('cosign-legacy');

    const bad = await pushModule(tinyModule(undefined, 'legacy bad'), `${reg.host}/filters/legacy:bad`);
    await writeCosignLegacySignature(
      `${reg.host}/filters/legacy`,
      bad.manifestDigest,
      cosignKeys.privateKey,
      good.manifestDigest,
    );
    const refused = await verifyImage(`${reg.host}/filters/legacy:bad`, trustCosign);
    expect(refused.verified).toBe(false);
    expect(refused.signatures[0]?.reason).toContain(`signs ${good.manifestDigest}, not ${bad.manifestDigest}`);
  });

  it('the OCI layout store keeps referrers too (oci:DIR), so signing needs no registry server', async () => {
    const ref = `oci:${join(dir, 'layout')}:v1`;
    await pushModule(tinyModule(undefined, 'layout'), ref);
    const signed = await signImage(ref, { kind: 'key', privateKey: teamKey() });
    expect(signed.storedVia).toBe('tag-schema');
    expect(await verifyImage(ref, trustTeam())).toMatchObject({ verified: true });
  });

  it('a wrong passphrase is named as such', () => {
    expect(() => loadPrivateKey(team.privateKeyPem, 'wrong', 'team.key')).toThrow(
      /team.key could not be decrypted \(wrong passphrase\)/,
    );
  });
});

// The built CLI (npm run build first), run asynchronously: the mock Sigstore services live in this process.
const bin = new URL('../../bin/meshwasm.js', import.meta.url).pathname;
function meshwasm(args: string[], env: Record<string, string> = {}, input?: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd: dir, env: { ...process.env, MESHWASM_STORE: join(dir, 'store'), ...env } },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

describe('meshwasm keygen / push --sign / sign / verify / inspect', () => {
  it('keygen writes an encrypted key and a public key; push --sign signs what it pushed; verify and inspect agree', async () => {
    const kg = await meshwasm(
      ['keygen', '--output-key-prefix', 'cli', '--passphrase-stdin', '-o', 'json'],
      {},
      'cli pass\n',
    );
    expect(kg.status, kg.stderr).toBe(0);
    const keys = JSON.parse(kg.stdout);
    expect(await readFile(join(dir, 'cli.key'), 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    expect(kg.stdout).not.toContain('PRIVATE KEY');
    expect((await stat(join(dir, 'cli.key'))).mode & 0o777).toBe(0o600);

    await writeFile(join(dir, 'm.wasm'), tinyModule(undefined, 'cli module'));
    const ref = `${reg.host}/filters/cli:v1`;
    const pushed = await meshwasm(['push', 'm.wasm', ref, '--force', '--sign', '--key', 'cli.key', '-o', 'json'], {
      MESHWASM_PASSWORD: 'cli pass',
    });
    expect(pushed.status, pushed.stderr).toBe(0);
    const p = JSON.parse(pushed.stdout);
    expect(p.signature).toMatchObject({ subjectDigest: p.manifestDigest, signer: { kind: 'key', keyId: keys.keyId } });

    const ok = await meshwasm(['verify', ref, '--key', 'cli.pub']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`verified, signed by key ${keys.keyId.slice(0, 16)}`);

    const inspected = JSON.parse((await meshwasm(['inspect', ref, '-o', 'json'])).stdout);
    expect(inspected.signatures).toEqual([
      expect.objectContaining({ source: 'referrer', signer: { kind: 'key', keyId: keys.keyId } }),
    ]);

    await writeFile(join(dir, 'evil.wasm'), tinyModule(undefined, 'cli evil'));
    expect((await meshwasm(['push', 'evil.wasm', ref, '--force'])).status).toBe(0);
    const tampered = await meshwasm(['verify', ref, '--key', 'cli.pub']);
    expect(tampered.status).toBe(9);
    expect(tampered.stderr).toContain('verifies (it has none)');
  });

  it('sign --keyless against the mock Fulcio and Rekor; verify by identity with a trusted root', async () => {
    await writeFile(join(dir, 'root.json'), sigstore.trustedRootJson);
    await writeFile(join(dir, 'k.wasm'), tinyModule(undefined, 'cli keyless'));
    const ref = `${reg.host}/filters/cli-keyless:v1`;
    expect((await meshwasm(['push', 'k.wasm', ref, '--force'])).status).toBe(0);
    const signed = await meshwasm(
      ['sign', ref, '--keyless', '--fulcio-url', sigstore.url, '--rekor-url', sigstore.url],
      { SIGSTORE_ID_TOKEN: identityToken('https://issuer.example', 'dev@acme.example') },
    );
    expect(signed.status, signed.stderr).toBe(0);
    expect(signed.stdout).toContain('with dev@acme.example (issuer https://issuer.example)');
    expect(signed.stdout).toContain('transparency log index:');
    const args = ['verify', ref, '--certificate-oidc-issuer', 'https://issuer.example', '--trusted-root', 'root.json'];
    expect((await meshwasm([...args, '--certificate-identity', 'dev@acme.example'])).status).toBe(0);
    const other = await meshwasm([...args, '--certificate-identity', 'mallory@acme.example']);
    expect(other.status).toBe(9);
    expect(other.stdout).toContain('an identity the policy does not trust');
  });

  it('bad input names the input and the next step', async () => {
    const noTrust = await meshwasm(['verify', `${reg.host}/filters/cli:v1`]);
    expect(noTrust.status).toBe(2);
    expect(noTrust.stderr).toContain('say whom to trust: --key meshwasm.pub');
    const noKey = await meshwasm(['sign', `${reg.host}/filters/cli:v1`, '--key', 'missing.key']);
    expect(noKey.status).toBe(5);
    expect(noKey.stderr).toContain('cannot read the private key "missing.key"');
    const noToken = await meshwasm(['sign', `${reg.host}/filters/cli:v1`, '--keyless'], { SIGSTORE_ID_TOKEN: '' });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('SIGSTORE_ID_TOKEN');
  });
});
