import { EventEmitter } from 'node:events';
import {
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { validateManifest, ManifestError } from '../manifest/crd-schema.js';
import { normalizeExtension, type Extension, type ExtensionKind } from '../manifest/extension.js';
import { LastValidManifests, type OriginRead } from './last-valid.js';
import type { ExtensionCondition, ExtensionSource, SourceError, SourceSnapshot } from './source.js';

const GROUP = 'extensions.istio.io';
const VERSION = 'v1alpha1';
const KINDS: { kind: ExtensionKind; plural: string }[] = [
  { kind: 'WasmPlugin', plural: 'wasmplugins' },
  { kind: 'TrafficExtension', plural: 'trafficextensions' },
];

/**
 * WasmPlugins and TrafficExtensions from a Kubernetes API server: @kubernetes/client-node's
 * ListWatch lists (remembering resourceVersion), watches from there, and relists on 410 Gone.
 * Status goes back through the status subresource (merge patch) as a Ready condition.
 */
export class KubernetesSource extends EventEmitter implements ExtensionSource {
  readonly name = 'kubernetes';
  private readonly informers: ListWatch<KubernetesObject>[] = [];
  private readonly api: CustomObjectsApi;
  private current: SourceSnapshot = { extensions: [], errors: [] };
  private closed = false;
  private restartTimers: NodeJS.Timeout[] = [];
  private readonly lastValid = new LastValidManifests();

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: { restartDelayMs?: number } = {},
  ) {
    super();
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** Uses KUBECONFIG / ~/.kube/config / in-cluster config, as kubectl does. */
  static async fromKubeconfig(): Promise<KubernetesSource> {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    if (!kc.getCurrentCluster()) {
      throw Object.assign(
        new Error(
          'control-plane --kubernetes: no current cluster in the kubeconfig; set KUBECONFIG or run "kubectl config use-context"',
        ),
        { kind: 'invalid-input' },
      );
    }
    return new KubernetesSource(kc);
  }

  async start(): Promise<void> {
    const watch = new Watch(this.kc);
    const firstLists: Promise<void>[] = [];
    for (const { plural } of KINDS) {
      const path = `/apis/${GROUP}/${VERSION}/${plural}`;
      const list = () =>
        this.api.listClusterCustomObject({ group: GROUP, version: VERSION, plural }) as Promise<{
          items: KubernetesObject[];
          metadata?: { resourceVersion?: string };
        }>;
      const informer = new ListWatch<KubernetesObject>(path, watch, list, false);
      let connected!: () => void;
      firstLists.push(
        new Promise<void>((r) => {
          connected = r;
        }),
      );
      for (const verb of ['add', 'update', 'delete'] as const)
        informer.on(verb, () => {
          connected();
          this.rebuild();
        });
      informer.on('error', (err: unknown) => {
        this.emit('warning', err);
        // ListWatch stops on errors other than 410/timeouts; keep trying, as a controller must.
        if (!this.closed)
          this.restartTimers.push(setTimeout(() => void informer.start(), this.opts.restartDelayMs ?? 1000));
      });
      informer.on('connect', () => {
        /* list done or watch (re)opened */
      });
      this.informers.push(informer);
      await informer.start();
      connected();
    }
    await Promise.all(firstLists);
    this.rebuild();
  }

  snapshot(): SourceSnapshot {
    return this.current;
  }

  async writeStatus(ext: Extension, c: ExtensionCondition): Promise<void> {
    const plural = KINDS.find((k) => k.kind === ext.kind)!.plural;
    const condition = {
      type: 'Ready',
      status: c.ready ? 'True' : 'False',
      reason: c.reason,
      message: c.message,
      lastTransitionTime: new Date().toISOString(),
      ...(ext.generation !== undefined ? { observedGeneration: ext.generation } : {}),
    };
    await this.api.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: ext.namespace,
        plural,
        name: ext.name,
        body: {
          status: {
            conditions: [condition],
            ...(ext.generation !== undefined ? { observedGeneration: ext.generation } : {}),
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.restartTimers) clearTimeout(t);
    for (const i of this.informers) await i.stop();
  }

  private rebuild(): void {
    const reads: OriginRead[] = [];
    for (const [i, informer] of this.informers.entries()) {
      for (const obj of informer.list()) {
        const o = obj as KubernetesObject & { apiVersion?: string; kind?: string };
        const doc = { ...o, apiVersion: o.apiVersion ?? `${GROUP}/${VERSION}`, kind: o.kind ?? KINDS[i]!.kind };
        const origin = `kubernetes://${doc.kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? '?'}`;
        try {
          // Strip server-set metadata the schema check does not need.
          const { managedFields: _m, ...metadata } = (o.metadata ?? {}) as Record<string, unknown>;
          validateManifest({ ...doc, metadata }, origin);
          reads.push({ origin, extensions: [normalizeExtension(doc as Record<string, any>, origin)], errors: [] });
        } catch (err) {
          if (!(err instanceof ManifestError)) throw err;
          reads.push({ origin, extensions: [], errors: [{ origin, message: err.message, field: err.field }] });
        }
      }
    }
    // An object updated into an invalid one keeps its last valid version serving; a deleted one goes.
    const extensions = this.lastValid.apply(reads);
    const errors: SourceError[] = reads.flatMap((r) => r.errors);
    const next = { extensions, errors };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.emit('change');
  }
}
