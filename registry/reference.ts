import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { RegistryError } from './errors.js';
import { assertDigest } from './digest.js';

/**
 * A parsed image reference. Either a repository on a registry reached over HTTP(S), or an
 * OCI image-layout directory on disk (skopeo's `oci:DIR:TAG` spelling). A bare `repo:tag`
 * with no registry host means the default layout store (see defaultStoreRoot).
 */
export type Reference = RemoteReference | LayoutReference;

export interface RemoteReference {
  kind: 'remote';
  /** host[:port] as written, e.g. `127.0.0.1:5000` or `ghcr.io`. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export interface LayoutReference {
  kind: 'layout';
  /** Absolute path of the image-layout directory. */
  path: string;
  tag?: string;
  digest?: string;
  /** The repository name a bare `repo:tag` was given with (absent for `oci:DIR:TAG`). */
  repository?: string;
}

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;

/** Where bare `repo:tag` references live: $MESHWASM_STORE, else ~/.meshwasm/oci (one layout per repository). */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MESHWASM_STORE ? resolve(env.MESHWASM_STORE) : join(homedir(), '.meshwasm', 'oci');
}

export function parseReference(input: string, env: NodeJS.ProcessEnv = process.env): Reference {
  const ref = input.trim();
  if (!ref) throw invalid(input, 'it is empty');
  if (ref.startsWith('oci:') && !ref.startsWith('oci://')) return parseLayout(ref.slice(4), input);
  // WasmPlugin urls carry oci://; accept them so a url can be pasted back.
  const body = ref.startsWith('oci://') ? ref.slice(6) : ref;

  let name = body;
  let digest: string | undefined;
  const at = body.indexOf('@');
  if (at >= 0) {
    digest = body.slice(at + 1);
    name = body.slice(0, at);
    assertDigest(digest, `reference "${input}"`);
  }
  let tag: string | undefined;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!tagPattern.test(tag))
      throw invalid(input, `tag "${tag}" may hold only letters, digits, _ . - (at most 128, not starting with . or -)`);
  }
  const parts = name.split('/');
  // Docker's rule: the first component is a registry host if it has a dot or a port, or is localhost.
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const repository = (hasHost ? parts.slice(1) : parts).join('/');
  if (!repository) throw invalid(input, 'it names no repository');
  for (const c of repository.split('/')) {
    if (!pathComponent.test(c))
      throw invalid(
        input,
        `repository component "${c}" must be lowercase letters and digits, separated by . _ __ or -`,
      );
  }
  if (!hasHost) {
    return {
      kind: 'layout',
      path: join(defaultStoreRoot(env), ...repository.split('/')),
      repository,
      tag: tag ?? (digest ? undefined : 'latest'),
      digest,
    };
  }
  if (!/^[A-Za-z0-9.-]+(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/.test(first))
    throw invalid(input, `registry host "${first}" is not a host[:port]`);
  // Docker Hub's official images live under library/ (docker.io/nginx is docker.io/library/nginx).
  const hub = first === 'docker.io' || first === 'index.docker.io';
  const repo = hub && !repository.includes('/') ? `library/${repository}` : repository;
  return {
    kind: 'remote',
    registry: hub ? 'docker.io' : first,
    repository: repo,
    tag: tag ?? (digest ? undefined : 'latest'),
    digest,
  };
}

function parseLayout(rest: string, input: string): LayoutReference {
  // skopeo splits oci:PATH:REF at the first colon after the path (paths with colons are not supported there either).
  let path = rest;
  let tag: string | undefined;
  let digest: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    path = rest.slice(0, colon);
    const r = rest.slice(colon + 1);
    if (r.startsWith('@')) {
      digest = r.slice(1);
      assertDigest(digest, `reference "${input}"`);
    } else tag = r;
  }
  if (!path) throw invalid(input, 'oci: needs a directory, as in oci:./layout:v1');
  if (
    tag !== undefined &&
    !/^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/.test(tag)
  ) {
    throw invalid(input, `"${tag}" is not a valid image-layout ref name`);
  }
  return { kind: 'layout', path: resolve(path), tag: tag ?? (digest ? undefined : 'latest'), digest };
}

/** The reference written back, without tag or digest: `host/repo`, `oci:/dir` or the bare repository. */
export function repositoryString(ref: Reference): string {
  if (ref.kind === 'remote') return `${ref.registry}/${ref.repository}`;
  return ref.repository ?? `oci:${ref.path}`;
}

/** `name@sha256:...`: what a mesh should load, immune to the tag moving. */
export function pinnedString(ref: Reference, digest: string): string {
  if (ref.kind === 'layout' && !ref.repository) return `oci:${ref.path}:@${digest}`;
  return `${repositoryString(ref)}@${digest}`;
}

export function referenceString(ref: Reference): string {
  const base = repositoryString(ref);
  if (ref.kind === 'layout' && !ref.repository) return ref.digest ? `${base}:@${ref.digest}` : `${base}:${ref.tag}`;
  if (ref.digest) return `${base}${ref.tag ? ':' + ref.tag : ''}@${ref.digest}`;
  return `${base}:${ref.tag}`;
}

function invalid(input: string, why: string): RegistryError {
  return new RegistryError(
    'invalid-input',
    `reference "${input}": ${why}; write it as host[:port]/repository[:tag|@sha256:...], oci:DIR[:tag] or repository[:tag] for the local store`,
  );
}
