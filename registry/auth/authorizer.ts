import { RegistryError } from '../errors.js';
import type { TransportOptions } from '../client/http.js';
import { parseChallenge, type Challenge } from './challenge.js';
import { basicHeader, type CredentialSource, type Credentials } from './credentials.js';
import { fetchToken, type Token } from './token.js';

/**
 * Answers the registry's 401 challenges for one registry host and remembers what worked:
 * the scheme it asked for and Bearer tokens per scope, so later requests carry them up front.
 */
export class Authorizer {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, Token>();
  private credentials?: Promise<Credentials | undefined>;

  constructor(
    readonly registry: string,
    private readonly source: CredentialSource,
    private readonly transport: TransportOptions,
  ) {}

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.source(this.registry);
    return this.credentials;
  }

  /** The Authorization header to send before any challenge, from what earlier challenges taught us. */
  async header(scopes: string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') {
      const c = await this.creds();
      return c?.username !== undefined && c.password !== undefined
        ? basicHeader({ username: c.username, password: c.password })
        : undefined;
    }
    if (this.challenge.scheme === 'bearer') {
      const t = this.tokens.get(scopeKey(scopes));
      if (t && t.expiresAt > Date.now()) return `Bearer ${t.token}`;
    }
    return undefined;
  }

  /**
   * Handles a 401: returns the header to retry with, or throws an 'auth' error saying how to log in.
   * `hadAuth` tells whether the refused request already carried credentials from this authorizer.
   */
  async answer(
    wwwAuthenticate: string | undefined,
    scopes: string[],
    hadAuth: boolean,
    ctx: AuthContext,
  ): Promise<string> {
    const what = ctx.op;
    const ch = parseChallenge(wwwAuthenticate);
    if (!ch)
      throw new RegistryError(
        'auth',
        `${what}: registry ${this.registry} answered 401 without a usable WWW-Authenticate challenge`,
        401,
      );
    const c = await this.creds();
    if (ch.scheme === 'basic') {
      this.challenge = ch;
      if (!c || c.username === undefined || c.password === undefined)
        throw loginError(this.registry, ctx, 401, Boolean(c));
      if (hadAuth) throw loginError(this.registry, ctx, 401, true);
      return basicHeader({ username: c.username, password: c.password });
    }
    if (ch.scheme === 'bearer') {
      this.challenge = ch;
      const realm = ch.params.realm;
      if (!realm)
        throw new RegistryError(
          'auth',
          `${what}: registry ${this.registry} sent a Bearer challenge without a realm`,
          401,
        );
      // The registry may name extra scope it wants (e.g. a mount source); ask for ours and its.
      const wanted = [...new Set([...scopes, ...(ch.params.scope ? ch.params.scope.split(' ') : [])])];
      const key = scopeKey(scopes);
      const cached = this.tokens.get(key);
      if (hadAuth && cached && cached.expiresAt > Date.now()) {
        // A fresh token for exactly this scope was refused: the account lacks the rights.
        this.tokens.delete(key);
        throw loginError(this.registry, ctx, 401, Boolean(c));
      }
      const token = await fetchToken(
        { realm, service: ch.params.service, scopes: wanted, credentials: c, registry: this.registry },
        this.transport,
      );
      this.tokens.set(key, token);
      return `Bearer ${token.token}`;
    }
    throw new RegistryError(
      'auth',
      `${what}: registry ${this.registry} asks for the "${ch.scheme}" auth scheme, which meshwasm does not speak (it speaks Basic and Bearer)`,
      401,
    );
  }
}

/** Where auth failed: the command (push, pull, ...) and the repository, for the message. */
export interface AuthContext {
  op: string;
  repository: string;
}

export function loginError(registry: string, ctx: AuthContext, status: number, hadCredentials: boolean): RegistryError {
  const next = hadCredentials
    ? `the credentials were refused; run "meshwasm login ${registry}" with an account allowed to do this`
    : `run "meshwasm login ${registry}" or pass --username`;
  const target = ctx.repository ? ` for repository "${ctx.repository}"` : '';
  return new RegistryError('auth', `${ctx.op}: registry ${registry} answered ${status}${target}; ${next}`, status);
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ');
}
