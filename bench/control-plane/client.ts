import { createHash } from 'node:crypto';
import { Agent, get } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { loadEnvoyProtos, toStruct, TYPE_URL_PREFIX, TYPED_EXTENSION_CONFIG } from '../../envoy-api/protos.js';
import type { ClientCommand, ClientReport } from './protocol.js';

/**
 * One client process of `meshwasm bench-control-plane`: many simulated proxies, each a real
 * ECDS stream (StreamExtensionConfigs) that behaves as Envoy's GrpcMuxImpl does
 * (source/common/config/grpc_mux_impl.cc): the first request carries the node, every response is
 * answered with version_info + response_nonce of that response (an ACK; this client never
 * NACKs). Before ACKing, each proxy downloads the modules the response names over HTTP and checks
 * their sha256, as Envoy's remote data source does (source/common/config/remote_data_fetcher.cc);
 * Istio's agent likewise holds the ECDS response until the module is fetched.
 * Streams share HTTP/2 connections (`perConnection` streams each) to keep file descriptors and
 * client memory within one machine; Envoy opens one connection per proxy.
 */
interface DiscoveryResponse {
  versionInfo?: string;
  nonce?: string;
  resources?: { typeUrl?: string; type_url?: string; value: Uint8Array }[];
}

const TYPE_URL = TYPE_URL_PREFIX + TYPED_EXTENSION_CONFIG;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const send = (m: ClientReport) => process.send!(m);

async function main(): Promise<void> {
  const protos = await loadEnvoyProtos();
  const channels: grpc.Client[] = [];
  let streams: grpc.ClientDuplexStream<object, DiscoveryResponse>[] = [];
  let cmd: Extract<ClientCommand, { type: 'connect' }> | undefined;
  /** Module references per response version: the resources of one version are the same bytes for every proxy. */
  const refs = new Map<string, { uri: string; sha256: string }[]>();
  let fetches = 0;
  let retries = 0;
  let failures = 0;
  /** Per proxy, the modules it holds: Envoy's code cache outlives a reconnect. */
  const held: Set<string>[] = [];

  const modulesOf = (resp: DiscoveryResponse) => {
    const key = resp.versionInfo ?? '';
    let r = refs.get(key);
    if (!r) {
      r = [];
      for (const any of resp.resources ?? []) {
        const ext = protos.unpackAny<{ typedConfig?: { typeUrl?: string; type_url?: string; value: Uint8Array } }>({
          typeUrl: any.typeUrl ?? any.type_url ?? '',
          value: any.value,
        }).message;
        if (!ext.typedConfig) continue;
        const tc = ext.typedConfig;
        const filter = protos.unpackAny<{ config?: { vmConfig?: { code?: { remote?: any } } } }>({
          typeUrl: tc.typeUrl ?? tc.type_url ?? '',
          value: tc.value,
        }).message;
        const remote = filter.config?.vmConfig?.code?.remote;
        if (remote?.httpUri?.uri) r.push({ uri: remote.httpUri.uri, sha256: remote.sha256 });
      }
      refs.set(key, r);
    }
    return r;
  };

  const fetchOnce = (uri: string, sha256: string) =>
    new Promise<void>((resolve, reject) => {
      fetches++;
      get(uri, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const got = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
          if (res.statusCode !== 200 || got !== sha256)
            reject(new Error(`module ${uri}: status ${res.statusCode}, sha256 ${got} (want ${sha256})`));
          else resolve();
        });
        res.on('error', reject);
      }).on('error', reject);
    });
  // Envoy's remote data source retries a failed fetch (RemoteDataSource.retry_policy; Istio sets
  // retries) before it gives up on the config: three attempts, 100 ms then 200 ms apart.
  const download = async (uri: string, sha256: string) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetchOnce(uri, sha256);
      } catch (err) {
        if (attempt === 2) throw err;
        retries++;
        await new Promise((r) => setTimeout(r, 100 << attempt));
      }
    }
  };

  const open = (i: number) => {
    const c = cmd!;
    const channel = channels[Math.floor(i / c.perConnection)]!;
    const stream = (
      channel as unknown as Record<string, () => grpc.ClientDuplexStream<object, DiscoveryResponse>>
    ).StreamExtensionConfigs!.call(channel);
    const node = {
      id: `bench-proxy-${c.first + i}`,
      metadata: toStruct({
        NAMESPACE: 'default',
        LABELS: { app: 'bench', 'bench-group': String((c.first + i) % c.groups) },
      }),
    };
    let queue = Promise.resolve();
    // Envoy keeps fetched modules in its code cache by sha256 (source/extensions/common/wasm/wasm.cc):
    // a config change that keeps the module downloads nothing.
    const have = (held[i] ??= new Set<string>());
    stream.on('data', (resp: DiscoveryResponse) => {
      queue = queue.then(async () => {
        try {
          for (const m of modulesOf(resp))
            if (!have.has(m.sha256)) {
              await download(m.uri, m.sha256);
              have.add(m.sha256);
            }
        } catch (err) {
          failures++;
          send({ type: 'error', message: (err as Error).message });
          return; // no ACK for what could not be loaded (and no NACK: the bench never sends one)
        }
        stream.write({ versionInfo: resp.versionInfo, node, typeUrl: TYPE_URL, responseNonce: resp.nonce ?? '' });
      });
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (err.code !== grpc.status.CANCELLED) send({ type: 'error', message: err.details || err.message });
    });
    stream.write({ versionInfo: '', node, typeUrl: TYPE_URL, responseNonce: '', resourceNames: [] });
    return stream;
  };

  process.on('message', (m: ClientCommand) => {
    if (m.type === 'connect') {
      cmd = m;
      for (let i = 0; i < Math.ceil(m.count / m.perConnection); i++)
        channels.push(
          new protos.ecdsService(m.xds, grpc.credentials.createInsecure(), {
            // Each channel its own HTTP/2 connection (grpc-js shares subchannels by default).
            'grpc.use_local_subchannel_pool': 1,
            'grpc.max_receive_message_length': 64 << 20,
          }),
        );
      streams = Array.from({ length: m.count }, (_, i) => open(i));
      send({ type: 'opened' });
    } else if (m.type === 'reconnect') {
      // Every stream at once, as after a control-plane restart.
      for (const s of streams) s.cancel();
      streams = Array.from({ length: cmd!.count }, (_, i) => open(i));
      send({ type: 'opened' });
    } else if (m.type === 'usage') {
      const mem = process.memoryUsage();
      send({ type: 'usage', cpu: process.cpuUsage(), rss: mem.rss, fetches, retries, failures });
    } else if (m.type === 'close') {
      for (const s of streams) s.cancel();
      for (const c of channels) c.close();
      agent.destroy();
      process.exit(0);
    }
  });
  // The benchmark process went away (killed, crashed): take the proxies down with it.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((err) => {
  process.stderr.write(`bench client: ${(err as Error).message}\n`);
  process.exit(1);
});
