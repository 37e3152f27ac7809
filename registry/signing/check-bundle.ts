import { bundleFromJSON, toMessageSignatureBundle, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type SignedEntity } from '@sigstore/verify';
import { createHash } from 'node:crypto';
import { describeSigner, signerOfBundle, type SignerIdentity } from './bundle-signer.js';
import { IN_TOTO_STATEMENT_V1, SigningMediaType } from './media-types.js';
import { materialForCertificates, materialForKey, type TrustPolicy } from './trust-policy.js';

/** The outcome of checking one signature against a policy. */
export interface SignatureCheck {
  /** Where it was found: a bundle referrer, or cosign's legacy `.sig` tag. */
  source: 'referrer' | 'cosign-legacy';
  /** Digest of the manifest that carried it. */
  digest: string;
  signer: SignerIdentity;
  verified: boolean;
  /** Why it did not verify. */
  reason?: string;
}

type Outcome = { verified: true; signer: SignerIdentity } | { verified: false; signer: SignerIdentity; reason: string };

/**
 * Checks a bundle found as a referrer of `subjectDigest`: the signature verifies (with
 * @sigstore/verify) under a key or identity the policy trusts, and the signed statement names
 * this very manifest digest, so a bundle copied onto another image does not pass.
 */
export function checkBundle(json: unknown, subjectDigest: string, policy: TrustPolicy): Outcome {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (err) {
    return {
      verified: false,
      signer: { kind: 'unknown' },
      reason: `not a Sigstore bundle (${(err as Error).message})`,
    };
  }
  const claimed = signerOfBundle(bundle);
  const outcome = verifySigner(toSignedEntity(bundle), claimed, policy);
  if (!outcome.verified) return outcome;
  if (bundle.content.$case !== 'dsseEnvelope')
    return {
      verified: false,
      signer: outcome.signer,
      reason: 'the bundle signs a message, not a statement about the manifest',
    };
  const env = bundle.content.dsseEnvelope;
  const mismatch = statementMismatch(env.payloadType, env.payload, subjectDigest);
  return mismatch ? { verified: false, signer: outcome.signer, reason: mismatch } : outcome;
}

/**
 * Checks one layer of cosign's legacy `.sig` manifest: the simple-signing payload names this
 * manifest digest, and its signature verifies under a trusted key. The payload and signature
 * are put into a message-signature bundle so @sigstore/verify does the cryptography.
 */
export function checkLegacyCosign(
  payload: Uint8Array,
  signatureB64: string,
  hasCertificate: boolean,
  subjectDigest: string,
  policy: TrustPolicy,
): Outcome {
  const unknown: SignerIdentity = { kind: 'unknown' };
  let named: string | undefined;
  try {
    named = (JSON.parse(new TextDecoder().decode(payload)) as { critical?: { image?: Record<string, string> } })
      .critical?.image?.['docker-manifest-digest'];
  } catch {
    return { verified: false, signer: unknown, reason: 'the cosign payload is not JSON' };
  }
  if (named !== subjectDigest)
    return {
      verified: false,
      signer: unknown,
      reason: `the cosign payload signs ${named ?? 'nothing'}, not ${subjectDigest}`,
    };
  if (hasCertificate)
    return {
      verified: false,
      signer: unknown,
      reason:
        'legacy keyless cosign signatures are not verified; re-sign with "meshwasm sign" or "cosign sign --new-bundle-format"',
    };
  const bundle = toMessageSignatureBundle({
    digest: createHash('sha256').update(payload).digest(),
    signature: Buffer.from(signatureB64, 'base64'),
    keyHint: '',
  });
  return verifySigner(toSignedEntity(bundle, Buffer.from(payload)), unknown, policy);
}

function verifySigner(entity: SignedEntity, claimed: SignerIdentity, policy: TrustPolicy): Outcome {
  if (entity.key.$case === 'public-key') {
    if (!policy.keys.length)
      return { verified: false, signer: claimed, reason: 'signed with a key, and the policy trusts no keys' };
    const errors: string[] = [];
    for (const k of policy.keys) {
      try {
        // Key signatures carry no transparency-log entry unless the signer added one.
        const tlogs = entity.timestamps.length ? 1 : 0;
        new Verifier(materialForKey(policy, k.key), { tlogThreshold: tlogs, ctlogThreshold: 0 }).verify(entity);
        return { verified: true, signer: { kind: 'key', keyId: k.keyId } };
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    const trusted = claimed.kind === 'key' && policy.keys.some((k) => k.keyId === claimed.keyId);
    return {
      verified: false,
      signer: claimed,
      reason: trusted
        ? `the signature does not verify with the trusted key (${errors[0]})`
        : `signed by ${describeSigner(claimed)}, which the policy does not trust`,
    };
  }
  const material = materialForCertificates(policy);
  if (!material)
    return {
      verified: false,
      signer: claimed,
      reason: `keyless signature by ${describeSigner(claimed)}, but no trusted root was given to check its certificate (--trusted-root)`,
    };
  let identity: { subjectAlternativeName?: string; extensions?: { issuer?: string } } | undefined;
  try {
    // SCTs are required when the trusted root names CT logs (the public instance does), as cosign does.
    const ctlogs = material.ctlogs.length ? 1 : 0;
    identity = new Verifier(material, { tlogThreshold: 1, ctlogThreshold: ctlogs }).verify(entity).identity;
  } catch (err) {
    return {
      verified: false,
      signer: claimed,
      reason: `the keyless signature does not verify (${(err as Error).message})`,
    };
  }
  const signer: SignerIdentity = {
    kind: 'keyless',
    issuer: identity?.extensions?.issuer ?? '',
    subject: identity?.subjectAlternativeName ?? '',
  };
  if (!policy.identities.some((i) => i.issuer === signer.issuer && i.subject === signer.subject))
    return {
      verified: false,
      signer,
      reason: `signed by ${describeSigner(signer)}, an identity the policy does not trust`,
    };
  return { verified: true, signer };
}

function statementMismatch(payloadType: string, payload: Buffer, subjectDigest: string): string | undefined {
  if (payloadType !== SigningMediaType.inTotoPayload)
    return `the envelope carries ${payloadType}, not an in-toto statement`;
  let statement: { _type?: string; subject?: { digest?: { sha256?: string } }[] };
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the signed statement is not JSON';
  }
  if (statement._type !== IN_TOTO_STATEMENT_V1)
    return `the signed statement is a ${statement._type}, not ${IN_TOTO_STATEMENT_V1}`;
  const hex = subjectDigest.slice('sha256:'.length);
  if (!statement.subject?.some((s) => s.digest?.sha256 === hex))
    return `the signed statement names ${statement.subject?.map((s) => `sha256:${s.digest?.sha256}`).join(', ') || 'no subject'}, not ${subjectDigest}`;
  return undefined;
}
