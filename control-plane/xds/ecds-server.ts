import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { TYPE_URL_PREFIX, TYPED_EXTENSION_CONFIG, type AnyMessage, type EnvoyProtos } from '../../envoy-api/protos.js';
import type { Extension } from '../manifest/extension.js';
import { appliesTo, chainOrder, proxyFromNode, type ProxyIdentity } from './matching.js';
import type { BuiltResource } from './resources.js';
import { decodeWithoutNode } from './request-decoder.js';

/**
 * The ECDS server: envoy.service.extension.v3.ExtensionConfigDiscoveryService, state of the
 * world over StreamExtensionConfigs. Each stream gets the TypedExtensionConfigs that apply to
 * its node, in chain order; a new response goes out whenever that set changes. ACKs and NACKs
 * are matched to the nonce of the response they answer (stale nonces are ignored, as the xDS
 * protocol requires), and recorded per proxy for status.
 *
 * Fan-out: proxies with the same namespace, labels and subscription see the same resources, so a
 * response is built and encoded once per such view and version; each proxy's copy differs only
 * in its nonce, appended to the pre-encoded bytes. Pushes go out in batches with the event loop
 * in between, so sockets get data while later proxies are still being served.
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

/** Requests arrive undecoded (see the constructor): the node is decoded from the first one only. */
type Stream = grpc.ServerDuplexStream<Buffer, unknown>;

interface Entry {
  stream: Stream;
  state: ProxyState;
  /** Proxies with the same key get the same resources (see viewKey). */
  viewKey: string;
}

/** One view's response for the current resources: everything but the nonce, encoded once. */
interface View {
  versionInfo: string;
  resources: SentResource[];
  encoded: Buffer;
}

const TYPE_URL = TYPE_URL_PREFIX + TYPED_EXTENSION_CONFIG;
/** Streams served between two turns of the event loop. */
const PUSH_BATCH = 256;
/** DiscoveryResponse.nonce is field 5, length-delimited (api/envoy/service/discovery/v3/discovery.proto). */
const NONCE_TAG = (5 << 3) | 2;

/** Appends the nonce field to a pre-encoded response: protobuf parsers merge fields in any order. */
function withNonce(encoded: Buffer, nonce: string): Buffer {
  const n = Buffer.from(nonce);
  if (n.length > 127) throw new Error('nonce too long for a one-byte length');
  const out = Buffer.allocUnsafe(encoded.length + 2 + n.length);
  encoded.copy(out, 0);
  out[encoded.length] = NONCE_TAG;
  out[encoded.length + 1] = n.length;
  n.copy(out, encoded.length + 2);
  return out;
}

function viewKey(state: ProxyState): string {
  const labels = Object.entries(state.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([state.namespace, labels, [...state.subscribed].sort()]);
}

export class EcdsServer extends EventEmitter {
  // Channelz bookkeeping per call is per-proxy CPU on every push and ACK, for a debugging interface nobody queries here.
  private readonly server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  private readonly streams = new Map<number, Entry>();
  private served: ServedResource[] = [];
  /** Views of `served`, built on first use after each setResources. */
  private views = new Map<string, View>();
  private readonly encode: (value: unknown) => Buffer;
  private readonly decode: (bytes: Buffer) => DiscoveryRequest;
  private nextStream = 1;
  private nonce = 0;
  private ready = false;
  private generation = 0;
  private closed = false;
  /** Responses encoded (one per view and version): what the fan-out test counts. */
  encodes = 0;

  constructor(
    protos: EnvoyProtos,
    private readonly rootNamespace = 'istio-system',
  ) {
    super();
    // The method's own (de)serializers, kept for what they do best; the service gets wrappers
    // that let pre-encoded responses through and hand requests over undecoded.
    const def = protos.ecdsService.service;
    const method = def.StreamExtensionConfigs!;
    this.encode = (v) => Buffer.from(method.responseSerialize(v));
    this.decode = (b) => method.requestDeserialize(b) as DiscoveryRequest;
    const service: grpc.ServiceDefinition = {
      ...def,
      StreamExtensionConfigs: {
        ...method,
        responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : this.encode(v)),
        requestDeserialize: (b: Buffer) => b,
      },
    };
    this.server.addService(service, {
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
    this.views = new Map();
    this.ready = true;
    // The first batch goes out now; the rest between turns of the event loop. A newer call
    // supersedes the loop in progress (it serves every stream again, from the newer resources).
    const generation = ++this.generation;
    const entries = [...this.streams.values()];
    let i = 0;
    const step = () => {
      if (generation !== this.generation || this.closed) return;
      for (const end = Math.min(i + PUSH_BATCH, entries.length); i < end; i++) {
        const e = entries[i]!;
        if (this.streams.get(e.state.streamId) === e) this.push(e);
      }
      if (i < entries.length) setImmediate(step);
    };
    step();
  }

  proxies(): ProxyState[] {
    return [...this.streams.values()].map((s) => s.state);
  }

  close(): Promise<void> {
    this.closed = true;
    for (const s of this.streams.values()) s.stream.end();
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private onStream(stream: Stream): void {
    let entry: Entry | undefined;
    stream.on('data', (bytes: Buffer) => {
      let req: DiscoveryRequest;
      try {
        // After the first request, the node is not decoded again (request-decoder.ts).
        req = (entry && decodeWithoutNode(bytes)) || this.decode(bytes);
      } catch (err) {
        stream.destroy(
          Object.assign(new Error(`malformed DiscoveryRequest: ${(err as Error).message}`), {
            code: grpc.status.INVALID_ARGUMENT,
          }),
        );
        return;
      }
      if (req.typeUrl && req.typeUrl !== TYPE_URL) {
        stream.destroy(
          Object.assign(new Error(`type_url ${req.typeUrl} is not served here; this stream serves ${TYPE_URL}`), {
            code: grpc.status.INVALID_ARGUMENT,
          }),
        );
        return;
      }
      if (!entry) {
        // Ids in the order proxies identified themselves: the order status lists them in.
        const streamId = this.nextStream++;
        const state = { ...proxyFromNode(req.node), streamId, connectedAt: new Date().toISOString(), subscribed: [] };
        entry = { stream, state, viewKey: viewKey(state) };
        this.streams.set(streamId, entry);
        this.emit('connect', state);
      }
      this.onRequest(entry, req);
    });
    const drop = () => {
      if (entry && this.streams.get(entry.state.streamId) === entry && this.streams.delete(entry.state.streamId))
        this.emit('disconnect', entry.state);
    };
    stream.on('end', () => {
      drop();
      stream.end();
    });
    stream.on('error', drop);
    stream.on('close', drop);
  }

  private onRequest(entry: Entry, req: DiscoveryRequest): void {
    const state = entry.state;
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
    const names = req.resourceNames?.length ? [...req.resourceNames].sort() : [];
    const changed = names.join('\n') !== [...state.subscribed].sort().join('\n');
    if (changed) {
      state.subscribed = names;
      entry.viewKey = viewKey(state);
    }
    if (!this.ready) return; // answered by the first setResources
    if (!state.sent || changed) this.push(entry, changed);
  }

  /** The view of proxies like this one, built and encoded on first use for the current resources. */
  private viewFor(entry: Entry): View {
    const cached = this.views.get(entry.viewKey);
    if (cached) return cached;
    const state = entry.state;
    const wildcard = state.subscribed.length === 0 || state.subscribed.includes('*');
    const served = this.served
      .filter((r) => (wildcard || state.subscribed.includes(r.name)) && appliesTo(r.ext, state, this.rootNamespace))
      .sort((a, b) => chainOrder(a.ext, b.ext));
    const versionInfo = createHash('sha256')
      .update(served.map((r) => `${r.name}@${r.version}`).join('\n'))
      .digest('hex')
      .slice(0, 16);
    const resources: AnyMessage[] = served.map((r) => r.resource);
    this.encodes++;
    const view: View = {
      versionInfo,
      // Shared by every proxy of the view (and kept as their sent/acked record): never mutated.
      resources: served.map((r) => ({
        name: r.name,
        version: r.version,
        digest: r.digest,
        ...(r.fallback ? { fallback: r.fallback } : {}),
      })),
      encoded: this.encode({ versionInfo, resources, typeUrl: TYPE_URL }),
    };
    this.views.set(entry.viewKey, view);
    return view;
  }

  private push(entry: Entry, force = false): void {
    const { state, stream } = entry;
    const view = this.viewFor(entry);
    const versionInfo = view.versionInfo;
    if (!force && state.sent?.versionInfo === versionInfo) return;
    // Once NACKed, the same version is not resent; a changed snapshot gets a new version.
    if (!force && state.nack?.versionInfo === versionInfo) return;
    const nonce = String(++this.nonce);
    state.sent = { versionInfo, nonce, resources: view.resources };
    stream.write(withNonce(view.encoded, nonce));
    this.emit('push', state);
  }
}
