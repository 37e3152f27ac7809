import type { Extension } from '../manifest/extension.js';
import { ResolveError } from './module-source.js';
import { urlWithoutTag } from './pull-policy.js';
import type { ResolvedModule } from './resolver.js';
import { trustFor, type NamespaceTrust, type SignaturePolicy } from './signature-policy.js';

/** Checks an image's signatures; implemented over registry/signing by sigstore-verifier.ts. */
export interface SignatureVerifier {
  /** `ref` is `host/repo@sha256:...` (or a layout reference): the exact manifest that would be served. */
  verify(
    ref: string,
    trust: NamespaceTrust,
    opts: { pullSecret?: string },
  ): Promise<{
    verified: boolean;
    signer?: string;
    reason?: string /** True when no signature was found at all. */;
    unsigned?: boolean;
  }>;
}

export interface SignatureVerdict {
  /** Who signed what is served, in words ("key 3f2a…", "ci@acme.dev (issuer …)"). */
  signedBy: string;
  /** The trust it was checked against. */
  policy: string;
}

/**
 * Enforces the signature policy between fetching a module and serving it: in a namespace the
 * policy covers, a module is served only when a signature of its manifest digest verifies under
 * that namespace's keys or identities. Success is cached by (trust, digest), so a digest is
 * verified once; failures are not cached, so signing after pushing heals on the next retry.
 */
export class SignatureGate {
  private readonly verified = new Map<string, SignatureVerdict>();
  readonly stats = { verifications: 0, cacheHits: 0, refusals: 0 };

  constructor(
    readonly policy: SignaturePolicy,
    private readonly verifier: SignatureVerifier,
  ) {}

  /** Undefined when the namespace is not covered; throws a ResolveError ('integrity') when refused. */
  async check(ext: Extension, resolved: ResolvedModule): Promise<SignatureVerdict | undefined> {
    const trust = trustFor(this.policy, ext.namespace);
    if (!trust) return undefined;
    if (!/^oci:\/\//i.test(ext.url)) {
      this.stats.refusals++;
      throw new ResolveError(
        `${ext.url} is not served: the signature policy (${trust.origin}) covers namespace "${ext.namespace}" and only oci:// images carry signatures; push the module with "meshwasm push --sign" and point the url at it`,
        'integrity',
      );
    }
    const ref = `${urlWithoutTag(ext.url).slice('oci://'.length)}@sha256:${resolved.checksum}`;
    const key = `${trust.origin}\n${ref}`;
    const hit = this.verified.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    this.stats.verifications++;
    const result = await this.verifier.verify(ref, trust, { pullSecret: ext.imagePullSecret });
    if (!result.verified) {
      this.stats.refusals++;
      throw new ResolveError(
        `${ext.url} (sha256:${resolved.checksum}) is not served: ${result.reason ?? 'no signature verifies'} (policy ${trust.origin}); sign it with "meshwasm sign ${ref} --key KEY" or change the policy`,
        'integrity',
      );
    }
    const verdict = { signedBy: result.signer ?? 'a trusted signer', policy: trust.origin };
    this.verified.set(key, verdict);
    return verdict;
  }
}
