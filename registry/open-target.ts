import { DockerConfig } from './auth/docker-config.js';
import type { CredentialSource, Credentials } from './auth/credentials.js';
import { RemoteRepository } from './client/remote-repository.js';
import { RepositoryClient, type ClientOptions } from './client/repository-client.js';
import type { UploadOptions } from './client/blobs.js';
import type { Target } from './content/target.js';
import { OciLayoutStore } from './layout/oci-layout-store.js';
import { parseReference, type Reference } from './reference.js';

export interface TargetOptions extends ClientOptions {
  /** Docker config file to read credentials from. Default $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
  dockerConfig?: string;
  /** Largest blob or extracted module accepted, in bytes. Default 256 MiB. */
  maxBytes?: number;
  /** Upload tuning (chunk size, cross-repository mount). Defaults in client/blobs.ts. */
  upload?: UploadOptions;
  /** Environment used for MESHWASM_STORE / DOCKER_CONFIG. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export const defaultMaxBytes = 256 << 20;

/** Fixed credentials (from --username/--password-stdin) as a CredentialSource. */
export function staticCredentials(c: Credentials): CredentialSource {
  return async () => c;
}

/** The Target a reference names: a remote repository or an OCI layout directory. */
export function openTarget(ref: Reference | string, opts: TargetOptions = {}): { ref: Reference; target: Target } {
  const r = typeof ref === 'string' ? parseReference(ref, opts.env) : ref;
  const max = opts.maxBytes ?? defaultMaxBytes;
  if (r.kind === 'layout') return { ref: r, target: new OciLayoutStore(r.path, max) };
  const docker = new DockerConfig(opts.dockerConfig);
  const source: CredentialSource = opts.credentials ?? ((registry) => docker.get(registry));
  const client = new RepositoryClient(r.registry, r.repository, opts, source);
  return { ref: r, target: new RemoteRepository(client, max, opts.upload) };
}
