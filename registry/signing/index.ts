/**
 * registry/signing: Sigstore signatures of module images, stored as OCI referrers. A separate
 * entry point from registry/index.ts so commands that do not sign never load the Sigstore libraries.
 */
export { generateSigningKeyPair, loadPrivateKey, loadPublicKey, keyIdOf, type GeneratedKeyPair } from './keys.js';
export { signImage, type SigningMethod, type SignResult } from './sign.js';
export { verifyImage, listSignatures, type VerifyReport } from './verify.js';
export type { SignatureCheck } from './check-bundle.js';
export { buildTrustPolicy, describePolicy, type TrustPolicy, type TrustPolicyInput } from './trust-policy.js';
export { describeSigner, type SignerIdentity } from './bundle-signer.js';
export { SigningMediaType, referrersTag, cosignSignatureTag } from './media-types.js';
export { listReferrers, type ReferrersMode } from './referrers-store.js';
