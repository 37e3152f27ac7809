/** What a registry login yields: a user and password, or an OAuth2 refresh token (docker's identitytoken). */
export type Credentials =
  | { username: string; password: string; identityToken?: undefined }
  | { identityToken: string; username?: string; password?: undefined };

/** Looks up credentials for a registry host (`host[:port]`); undefined means anonymous. */
export type CredentialSource = (registry: string) => Promise<Credentials | undefined>;

export function basicHeader(c: { username: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
}
