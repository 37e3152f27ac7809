import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { TYPE_URL_PREFIX, TYPED_EXTENSION_CONFIG, type AnyMessage, type EnvoyProtos } from '../../envoy-api/protos.js';
import type { Extension } from '../manifest/extension.js';
import { appliesTo, chainOrder, proxyFromNode, type ProxyIdentity } from './matching.js';
import type { BuiltResource } from './resources.js';

/**
 * The ECDS server: envoy.service.extension.v3.ExtensionConfigDiscoveryService, state of the
 * world over StreamExtensionConfigs. Each stream gets the TypedExtensionConfigs that apply to
 * its node, in chain order; a new response goes out whenever that set changes. ACKs and NACKs
 * are matched to the nonce of the response they answer (stale nonces are ignored, as the xDS
 * protocol requires), and recorded per proxy for status.
 */
export interface ServedResource extends BuiltResource {
  ext: Extension;
  /** The module digest behind this resource, or the fallback it stands for. */
  digest: string;
  fallback?: 'allow-all' | 'deny-all';
}

export interface SentResource {
  name: string;
  version: string;
  digest: string;
  fallback?: string;
}

export interface ProxyState extends ProxyIdentity {
  streamId: number;
  connectedAt: string;
  /** Names the proxy subscribed to; empty: every extension that applies to it. */
  subscribed: string[];
  sent?: { versionInfo: string; nonce: string; resources: SentResource[] };
  acked?: { versionInfo: string; resources: SentResource[]; at: string };
  nack?: { versionInfo: string; nonce: string; message: string; resources: SentResource[]; at: string };
}

interface DiscoveryRequest {
  versionInfo?: string;
  node?: { id?: string; metadata?: { fields?: Record<string, unknown> } };
  resourceNames?: string[];
  typeUrl?: string;
  responseNonce?: string;
  errorDetail?: { code?: number; message?: string };
}

type Stream = grpc.ServerDuplexStream<DiscoveryRequest, unknown>;

const TYPE_URL = TYPE_URL_PREFIX + TYPED_EXTENSION_CONFIG;

export class EcdsServer extends EventEmitter {
  private readonly server = new grpc.Server();
  private readonly streams = new Map<number, { stream: Stream; state: ProxyState }>();
  private served: ServedResource[] = [];
  private nextStream = 1;
  private nonce = 0;
  private ready = false;

  constructor(
    protos: EnvoyProtos,
    private readonly rootNamespace = 'istio-system',
  ) {
    super();
    this.server.addService(protos.ecdsService.service, {
      StreamExtensionConfigs: (stream: Stream) => this.onStream(stream),
      DeltaExtensionConfigs: (stream: Stream) =>
        stream.destroy(
          Object.assign(new Error('delta xDS is not supported; use StreamExtensionConfigs (state of the world)'), {
            code: grpc.status.UNIMPLEMENTED,
          }),
        ),
      FetchExtensionConfigs: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.UNIMPLEMENTED, details: 'use StreamExtensionConfigs' }),
    });
  }

  /** Binds host:port (port 0 picks a free one); resolves with the bound port. */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(new Error(`xds: cannot listen on ${address}: ${err.message}`)) : resolve(port),
      );
    });
  }

  /**
   * Replaces what is served and pushes to every stream whose view changed. Until the first call,
   * streams are accepted but not answered: an empty view from a control plane that is still
   * starting would strip every filter from a reconnecting proxy.
   */
  setResources(resources: ServedResource[]): void {
    this.served = resources;
    this.ready = true;
    for (const s of this.streams.values()) this.push(s.stream, s.state);
  }

  proxies(): ProxyState[] {
    return [...this.streams.values()].map((s) => s.state);
  }

  close(): Promise<void> {
    for (const s of this.streams.values()) s.stream.end();
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private onStream(stream: Stream): void {
    const streamId = this.nextStream++;
    let state: ProxyState | undefined;
    stream.on('data', (req: DiscoveryRequest) => {
      if (req.typeUrl && req.typeUrl !== TYPE_URL) {
        stream.destroy(
          Object.assign(new Error(`type_url ${req.typeUrl} is not served here; this stream serves ${TYPE_URL}`), {
            code: grpc.status.INVALID_ARGUMENT,
          }),
        );
        return;
      }
      if (!state) {
        state = { ...proxyFromNode(req.node), streamId, connectedAt: new Date().toISOString(), subscribed: [] };
        this.streams.set(streamId, { stream, state });
        this.emit('connect', state);
      }
      this.onRequest(stream, state, req);
    });
    const drop = () => {
      if (state && this.streams.delete(streamId)) this.emit('disconnect', state);
    };
    stream.on('end', () => {
      drop();
      stream.end();
    });
    stream.on('error', drop);
    stream.on('close', drop);
  }

  private onRequest(stream: Stream, state: ProxyState, req: DiscoveryRequest): void {
    const nonce = req.responseNonce ?? '';
    if (nonce && state.sent && nonce === state.sent.nonce) {
      const at = new Date().toISOString();
      if (req.errorDetail) {
        state.nack = {
          versionInfo: state.sent.versionInfo,
          nonce,
          message: req.errorDetail.message ?? `error code ${req.errorDetail.code}`,
          resources: state.sent.resources,
          at,
        };
        this.emit('nack', state);
      } else {
        state.acked = { versionInfo: state.sent.versionInfo, resources: state.sent.resources, at };
        // A later ACK supersedes an earlier NACK: the proxy now runs what we sent.
        state.nack = undefined;
        this.emit('ack', state);
      }
    } else if (nonce && state.sent && nonce !== state.sent.nonce) {
      return; // answers a response that was superseded; the newer one is in flight
    }
    const names = [...(req.resourceNames ?? [])].sort();
    const changed = names.join('\n') !== [...state.subscribed].sort().join('\n');
    state.subscribed = names;
    if (!this.ready) return; // answered by the first setResources
    if (!state.sent || changed) this.push(stream, state, changed);
  }

  private viewFor(state: ProxyState): ServedResource[] {
    const wildcard = state.subscribed.length === 0 || state.subscribed.includes('*');
    return this.served
      .filter((r) => (wildcard || state.subscribed.includes(r.name)) && appliesTo(r.ext, state, this.rootNamespace))
      .sort((a, b) => chainOrder(a.ext, b.ext));
  }

  private push(stream: Stream, state: ProxyState, force = false): void {
    const view = this.viewFor(state);
    const versionInfo = createHash('sha256')
      .update(view.map((r) => `${r.name}@${r.version}`).join('\n'))
      .digest('hex')
      .slice(0, 16);
    if (!force && state.sent?.versionInfo === versionInfo) return;
    // Once NACKed, the same version is not resent; a changed snapshot gets a new version.
    if (!force && state.nack?.versionInfo === versionInfo) return;
    const nonce = String(++this.nonce);
    state.sent = {
      versionInfo,
      nonce,
      resources: view.map((r) => ({
        name: r.name,
        version: r.version,
        digest: r.digest,
        ...(r.fallback ? { fallback: r.fallback } : {}),
      })),
    };
    const resources: AnyMessage[] = view.map((r) => r.resource);
    stream.write({ versionInfo, resources, typeUrl: TYPE_URL, nonce });
    this.emit('push', state);
  }
}
