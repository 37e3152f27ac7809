import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RegistryError } from '../errors.js';

/**
 * Key pairs for key-based signing: ECDSA P-256, the curve and encodings cosign uses. The public
 * key is a plain SPKI "PUBLIC KEY" PEM, byte-for-byte the format of cosign.pub, so either tool
 * reads the other's public key. The private key is an encrypted PKCS#8 PEM (AES-256-CBC, key
 * derived from the passphrase), which Node and openssl read natively; cosign's own
 * "ENCRYPTED SIGSTORE PRIVATE KEY" (scrypt + secretbox) is not read (docs/signing.md).
 */
export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  /** sha256 of the public key's SPKI DER, hex: how policies, inspect and status name a key. */
  keyId: string;
}

export function generateSigningKeyPair(passphrase: string): GeneratedKeyPair {
  if (!passphrase)
    throw new RegistryError(
      'invalid-input',
      'keygen: the passphrase is empty; set MESHWASM_PASSWORD or pipe one in with --passphrase-stdin',
    );
  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey, keyId: keyIdOf(createPublicKey(publicKey)) };
}

/** Decrypts a private key; a wrong passphrase or a foreign format gets a message that says which. */
export function loadPrivateKey(pem: string, passphrase: string | undefined, what: string): KeyObject {
  if (pem.includes('ENCRYPTED SIGSTORE PRIVATE KEY') || pem.includes('ENCRYPTED COSIGN PRIVATE KEY'))
    throw new RegistryError(
      'invalid-input',
      `${what} is a cosign-encrypted key, which meshwasm cannot decrypt; export it as PKCS#8 ("cosign import-key-pair" takes the other direction) or create one with "meshwasm keygen"`,
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    const msg = (err as Error).message;
    const encrypted = pem.includes('ENCRYPTED PRIVATE KEY');
    throw new RegistryError(
      'invalid-input',
      encrypted
        ? `${what} could not be decrypted (${passphrase ? 'wrong passphrase' : 'no passphrase given'}); set MESHWASM_PASSWORD or use --passphrase-stdin`
        : `${what} is not a PEM private key (${msg}); create one with "meshwasm keygen"`,
    );
  }
  assertP256(key, what);
  return key;
}

/** A public key from PEM (SPKI, as cosign.pub), or the public half of a private key. */
export function loadPublicKey(pem: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new RegistryError(
      'invalid-input',
      `${what} is not a PEM public key (${(err as Error).message}); pass the .pub file "meshwasm keygen" or "cosign generate-key-pair" wrote`,
    );
  }
  assertP256(key, what);
  return key;
}

export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function publicPemOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}

function assertP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new RegistryError(
      'invalid-input',
      `${what} is a ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''} key; meshwasm signs with ECDSA P-256 only, as cosign does by default`,
    );
}
