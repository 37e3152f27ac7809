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

/**
 * `--registry-credentials` takes a docker config.json path. A password on the command line
 * (HOST=USER:PASSWORD) is refused: it would sit in shell history and `ps` output; the registry
 * commands' `-u USER --password-stdin` is the way to pass one. The refusal never repeats it.
 */
export function parseCredentialArg(arg: string): CredentialSpec {
  const eq = arg.indexOf('=');
  if (eq > 0 && !arg.slice(0, eq).includes('/')) {
    throw Object.assign(
      new Error(
        `--registry-credentials "${arg.slice(0, eq)}=...": a password on the command line is not accepted (shell history, ps); ` +
          `pass -u USER --password-stdin (echo "$PASSWORD" | meshwasm analyze -u USER --password-stdin ...), a docker config.json path, or run "meshwasm login ${arg.slice(0, eq)}"`,
      ),
      { kind: 'invalid-input' as const },
    );
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
      // No host: -u/--password-stdin, for every registry the input names.
      if (s.credentials && (s.host === undefined || s.host === registry)) return s.credentials;
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
