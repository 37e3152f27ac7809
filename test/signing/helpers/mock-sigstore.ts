import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fulcioHandler, initializeCA, initializeTLog, rekorHandler } from '@sigstore/mock';

export interface MockSigstore {
  /** Base URL of both mock services (Fulcio's /api/v2/signingCert and Rekor's /api/v1/log/entries). */
  url: string;
  /** A trusted_root.json naming the mock CA, CT log and Rekor keys: what verification trusts. */
  trustedRootJson: string;
  close(): Promise<void>;
}

/**
 * @sigstore/mock's Fulcio CA and Rekor log, served over real HTTP on 127.0.0.1 (not nock), so
 * @sigstore/sign talks to them exactly as it would to a Sigstore instance. Never the public ones.
 */
export async function startMockSigstore(): Promise<MockSigstore> {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const tlogKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // No CT log: @sigstore/mock 0.10 writes the certificate's SCT list without the per-SCT length
  // prefix RFC 6962 asks for, which @sigstore/verify then cannot parse. So the mock CA issues
  // certificates without SCTs and the trusted root below lists no CT log (SCTs are then not required).
  const ca = await initializeCA(caKeys);
  let url = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const handler = [fulcio, rekor].find((h) => h && req.method === 'POST' && req.url === h.path);
      if (!handler) return res.writeHead(404).end('not found');
      const out = await handler.fn(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(out.statusCode, { 'content-type': out.contentType ?? 'text/plain' }).end(out.response);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(url, tlogKeys);
  const fulcio = fulcioHandler(ca);
  const rekor = rekorHandler(tlog);
  const start = new Date(Date.now() - 3600_000).toISOString();
  const b64 = (b: Buffer) => b.toString('base64');
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(createHash('sha256').update(tlog.publicKey).digest()) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  return {
    url,
    trustedRootJson: JSON.stringify(root),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** An OIDC identity token as a CI provider would issue it. The mock Fulcio reads its claims without checking the signature. */
export function identityToken(issuer: string, subject: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: issuer, sub: subject, aud: 'sigstore', iat: now, exp: now + 600 })}.${Buffer.from('unsigned').toString('base64url')}`;
}
