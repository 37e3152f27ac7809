import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { dockerConfigJsonOfSecret, type PullSecretStore } from '../resolver/pull-secrets.js';

/** Kubernetes mode: the Secret in the plugin's namespace, read when a module is fetched (not cached, so a rotated secret is used at once). */
export class KubernetesPullSecrets implements PullSecretStore {
  readonly where = 'Kubernetes';
  private readonly api: CoreV1Api;
  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  async get(namespace: string, name: string): Promise<string | undefined> {
    let secret: unknown;
    try {
      secret = await this.api.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`cannot read Secret ${namespace}/${name}: ${(err as Error).message}`);
    }
    return dockerConfigJsonOfSecret(secret as Record<string, any>, `Secret ${namespace}/${name}`);
  }
}
