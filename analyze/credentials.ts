import { DockerConfig, type CredentialSource, type Credentials } from '../registry/index.js';

/**
 * Where analyze finds registry credentials, first match wins: `--registry-credentials`
 * entries (`HOST=USER:PASSWORD`, or a docker config.json path), the extension's own pull
 * secret when the input holds it (what the proxy would use), then the user's docker config.
 */
export interface CredentialSpec {
  host?: string;
  credentials?: Credentials;
  dockerConfigPath?: string;
}

export function parseCredentialArg(arg: string): CredentialSpec {
  const eq = arg.indexOf('=');
  if (eq > 0 && !arg.slice(0, eq).includes('/')) {
    const host = arg.slice(0, eq);
    const userPass = arg.slice(eq + 1);
    const colon = userPass.indexOf(':');
    if (colon <= 0) {
      throw Object.assign(
        new Error(
          `--registry-credentials "${host}=..." must be HOST=USER:PASSWORD (or a path to a docker config.json)`,
        ),
        { kind: 'invalid-input' as const },
      );
    }
    return { host, credentials: { username: userPass.slice(0, colon), password: userPass.slice(colon + 1) } };
  }
  return { dockerConfigPath: arg };
}

/** Credentials from a pull secret's .dockerconfigjson text, for one registry host. */
export function fromDockerConfigJson(text: string, registry: string): Credentials | undefined {
  let cfg: { auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }> };
  try {
    cfg = JSON.parse(text);
  } catch {
    return undefined;
  }
  const strip = (k: string) => k.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const entry = Object.entries(cfg.auths ?? {}).find(([k]) => strip(k) === registry)?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.auth) {
    const s = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

export function credentialSource(specs: CredentialSpec[], pullSecretJson?: string): CredentialSource {
  return async (registry) => {
    for (const s of specs) {
      if (s.host === registry && s.credentials) return s.credentials;
      if (s.dockerConfigPath) {
        const c = await new DockerConfig(s.dockerConfigPath).get(registry);
        if (c) return c;
      }
    }
    if (pullSecretJson) {
      const c = fromDockerConfigJson(pullSecretJson, registry);
      if (c) return c;
    }
    return new DockerConfig().get(registry);
  };
}
