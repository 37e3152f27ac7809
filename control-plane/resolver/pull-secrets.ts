import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';

/**
 * Where a WasmPlugin's `imagePullSecret` is looked up, as istio-agent does: the Secret of that
 * name in the plugin's namespace, of type kubernetes.io/dockerconfigjson. `get` answers the
 * secret's .dockerconfigjson text (docker config JSON), or undefined when there is none.
 */
export interface PullSecretStore {
  /** Where secrets are looked up, for messages: "Kubernetes", "directory .meshwasm/pull-secrets". */
  readonly where: string;
  get(namespace: string, name: string): Promise<string | undefined>;
}

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';

/** .dockerconfigjson of a Secret object, or an error saying what is wrong with it. */
export function dockerConfigJsonOfSecret(secret: Record<string, any>, what: string): string {
  if (secret.type !== DOCKER_CONFIG_JSON_TYPE)
    throw new Error(
      `${what} has type ${secret.type ?? '(none)'}; an imagePullSecret must be of type ${DOCKER_CONFIG_JSON_TYPE}`,
    );
  const b64 = secret.data?.['.dockerconfigjson'];
  if (typeof b64 === 'string') return Buffer.from(b64, 'base64').toString('utf8');
  const plain = secret.stringData?.['.dockerconfigjson'];
  if (typeof plain === 'string') return plain;
  throw new Error(`${what} has no .dockerconfigjson`);
}

/**
 * Directory mode: `<dir>/<namespace>/<name>.json` holds the docker config JSON itself (what
 * `kubectl get secret NAME -o jsonpath='{.data.\.dockerconfigjson}' | base64 -d` prints), or
 * `<dir>/<namespace>/<name>.yaml` the Secret manifest (`kubectl get secret NAME -o yaml`).
 */
export class DirectoryPullSecrets implements PullSecretStore {
  readonly where: string;
  constructor(private readonly dir: string) {
    this.where = `directory ${dir}`;
  }

  async get(namespace: string, name: string): Promise<string | undefined> {
    const base = join(this.dir, namespace, name);
    const json = await readFile(`${base}.json`, 'utf8').catch(() => undefined);
    if (json !== undefined) return json;
    for (const ext of ['.yaml', '.yml']) {
      const text = await readFile(base + ext, 'utf8').catch(() => undefined);
      if (text !== undefined) return dockerConfigJsonOfSecret(YAML.parse(text) ?? {}, `${base}${ext}`);
    }
    return undefined;
  }
}

/** The first store that has the secret wins (Kubernetes, then the directory). */
export function firstOf(stores: PullSecretStore[]): PullSecretStore {
  return {
    where: stores.map((s) => s.where).join(' or '),
    async get(namespace, name) {
      for (const s of stores) {
        const v = await s.get(namespace, name);
        if (v !== undefined) return v;
      }
      return undefined;
    },
  };
}
