import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { RegistryError } from '../errors.js';
import type { CredentialSource, Credentials } from './credentials.js';
import { helperErase, helperGet, helperStore } from './cred-helper.js';

/**
 * Docker's client config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), the same
 * file docker, podman, skopeo, oras, crane and Istio read: `auths` (base64 user:password or an
 * identitytoken), `credHelpers` per registry, `credsStore` for all others.
 */
interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** Docker Hub's credentials live under its historical v1 URL. */
function configKey(registry: string): string {
  return registry === 'docker.io' || registry === 'registry-1.docker.io' || registry === 'index.docker.io'
    ? 'https://index.docker.io/v1/'
    : registry;
}

/** `https://host:5000/v2/` and `host:5000` name the same registry in an auths key. */
function normalizeKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

async function load(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch {
    throw new RegistryError('invalid-input', `docker config ${path} is not valid JSON; fix or remove it`);
  }
}

export class DockerConfig {
  constructor(readonly path: string = dockerConfigPath()) {}

  /** Credentials for a registry host, or undefined for anonymous access. */
  async get(registry: string): Promise<Credentials | undefined> {
    return lookup(await load(this.path), registry, this.path);
  }

  /** Stores credentials the way docker login does: in the helper when one is configured, else base64 in auths. */
  async store(registry: string, username: string, password: string): Promise<'helper' | 'file'> {
    const cfg = await load(this.path);
    const key = configKey(registry);
    const helper = cfg.credHelpers?.[key] ?? cfg.credsStore;
    if (helper) {
      await helperStore(helper, key, username, password);
      // docker leaves an empty auths entry so `docker login` listings show the registry.
      cfg.auths = { ...cfg.auths, [key]: {} };
      await this.save(cfg);
      return 'helper';
    }
    cfg.auths = { ...cfg.auths, [key]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
    await this.save(cfg);
    return 'file';
  }

  /** Removes stored credentials; returns false when there were none. */
  async erase(registry: string): Promise<boolean> {
    const cfg = await load(this.path);
    const key = configKey(registry);
    const helper = cfg.credHelpers?.[key] ?? cfg.credsStore;
    const wanted = normalizeKey(key);
    const keys = Object.keys(cfg.auths ?? {}).filter((k) => k === key || normalizeKey(k) === wanted);
    if (helper) await helperErase(helper, key);
    if (keys.length === 0) return Boolean(helper);
    for (const k of keys) delete cfg.auths![k];
    await this.save(cfg);
    return true;
  }

  private async save(cfg: DockerConfigFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    // Write then rename so a crash never leaves a half-written config docker cannot parse.
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
    await rename(tmp, this.path);
  }
}

/** The lookup docker does: credHelpers for the host, then auths, then credsStore. */
async function lookup(cfg: DockerConfigFile, registry: string, path: string): Promise<Credentials | undefined> {
  const key = configKey(registry);
  const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[registry];
  if (helper) return helperGet(helper, key);
  const wanted = normalizeKey(key);
  const entry = Object.entries(cfg.auths ?? {}).find(([k]) => k === key || normalizeKey(k) === wanted)?.[1];
  if (entry) {
    if (entry.identitytoken) return { identityToken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0)
        throw new RegistryError(
          'invalid-input',
          `docker config ${path}: auths["${key}"].auth is not base64 of user:password; run "meshwasm login ${registry}" again`,
        );
      return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  if (cfg.credsStore) return helperGet(cfg.credsStore, key);
  return undefined;
}

/**
 * Credentials from docker config JSON held in memory, e.g. a Kubernetes imagePullSecret
 * (`.dockerconfigjson`) as WasmPlugin's imagePullSecret names it. Helpers are not consulted.
 */
export function credentialsFromDockerConfigJson(json: string, what = 'pull secret'): CredentialSource {
  let cfg: DockerConfigFile;
  try {
    cfg = JSON.parse(json) as DockerConfigFile;
  } catch {
    throw new RegistryError('invalid-input', `${what} is not docker config JSON`);
  }
  const authsOnly: DockerConfigFile = { auths: cfg.auths };
  return (registry) => lookup(authsOnly, registry, what);
}
