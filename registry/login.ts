import { DockerConfig } from './auth/docker-config.js';
import { RepositoryClient, type ClientOptions } from './client/repository-client.js';
import { errorDetail } from './client/repository-client.js';
import { RegistryError } from './errors.js';
import { staticCredentials } from './open-target.js';

export interface LoginOptions extends ClientOptions {
  /** Docker config file to write. Default $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
  dockerConfig?: string;
}

/**
 * Checks the credentials against the registry (GET /v2/, answering its challenge) and only then
 * stores them, in docker's format, so a typo never lands in the config.
 */
export async function login(
  registry: string,
  username: string,
  password: string,
  opts: LoginOptions = {},
): Promise<{ registry: string; storedIn: 'helper' | 'file'; configPath: string }> {
  const host = registry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (!host) throw new RegistryError('invalid-input', `login: "${registry}" names no registry host`);
  const creds = staticCredentials({ username, password });
  const client = new RepositoryClient(host, '', { ...opts, credentials: creds, operation: 'login' }, creds);
  // A token server may want a scope; the catalog scope is what docker login asks for.
  const res = await client.request(
    { method: 'GET', url: client.url(''), maxBytes: 1 << 16 },
    { scopes: ['registry:catalog:*'], what: `login to ${host}`, retry: true },
  );
  if (res.status !== 200)
    throw new RegistryError(
      res.status === 404 ? 'not-found' : 'remote',
      `login: ${host} answered ${res.status} ${errorDetail(res)} on /v2/; is it an OCI registry?`,
      res.status,
    );
  const config = new DockerConfig(opts.dockerConfig);
  const storedIn = await config.store(host, username, password);
  return { registry: host, storedIn, configPath: config.path };
}

export async function logout(
  registry: string,
  opts: { dockerConfig?: string } = {},
): Promise<{ registry: string; removed: boolean; configPath: string }> {
  const host = registry.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const config = new DockerConfig(opts.dockerConfig);
  return { registry: host, removed: await config.erase(host), configPath: config.path };
}
