// A TCP (network) filter: logs each connection with the bytes it carried each way, counts
// connections and bytes, and closes connections from denied source addresses or whose first
// bytes start with a denied prefix. Deploy it as envoy.filters.network.wasm (Istio WasmPlugin
// type: NETWORK), or run it with `meshwasm proxy --tcp`.
import {
  Action, HttpContext, PeerType, RootContext, StreamContext, registerRootContext, downstreamData,
  getPropertyString, logInfo, logWarn, logError, Counter, formatInt,
} from "meshwasm/sdk";
// Makes the proxy_on_* callbacks, the ABI marker and the allocator module exports.
export * from "meshwasm/sdk/exports";

class Config {
  denySources: Array<string> = [];
  denyFirstBytes: Array<string> = [];
}

class TcpRoot extends RootContext {
  config: Config = new Config();
  connections: Counter | null = null;
  denied: Counter | null = null;
  bytesIn: Counter | null = null;
  bytesOut: Counter | null = null;

  onConfigure(configurationSize: u32): bool {
    const json = this.getPluginConfigJson();
    if (json === null) return false; // the SDK logged why; Envoy rejects the plugin
    if (!json.isObject()) {
      logError("configuration must be a JSON object");
      return false;
    }
    const cfg = new Config();
    cfg.denySources = json.getStringArray("denySources");
    cfg.denyFirstBytes = json.getStringArray("denyFirstBytes");
    this.config = cfg;
    this.connections = Counter.define("tcp_connections_total");
    this.denied = Counter.define("tcp_denied_total");
    this.bytesIn = Counter.define("tcp_downstream_bytes_total");
    this.bytesOut = Counter.define("tcp_upstream_bytes_total");
    logInfo("configured: " + formatInt(cfg.denySources.length) + " denied source(s)");
    return true;
  }

  // A network filter: no per-request contexts, one StreamContext per connection.
  createHttpContext(contextId: u32): HttpContext | null { return null; }

  createStreamContext(contextId: u32): StreamContext | null {
    return new TcpConnection(contextId, this);
  }
}

/** "10.0.0.2:52000" -> "10.0.0.2" ("[::1]:80" -> "[::1]"). */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(":");
  return colon < 0 ? address : address.substring(0, colon);
}

class TcpConnection extends StreamContext {
  source: string = "";
  bytesIn: u64 = 0;
  bytesOut: u64 = 0;
  firstData: bool = true;
  deniedWhy: string = "";

  constructor(id: u32, public settings: TcpRoot) {
    super(id, settings);
  }

  private count(c: Counter | null, n: u64): void {
    if (c !== null) c.increment(n);
  }

  private deny(why: string): Action {
    this.deniedWhy = why;
    this.count(this.settings.denied, 1);
    logWarn("closing connection from " + this.source + ": " + why);
    this.closeDownstream();
    return Action.Pause;
  }

  onNewConnection(): Action {
    const src = getPropertyString("source.address");
    this.source = src !== null ? src : "unknown";
    this.count(this.settings.connections, 1);
    const deny = this.settings.config.denySources;
    for (let i = 0; i < deny.length; i++) {
      if (hostOf(this.source) == deny[i]) return this.deny("source " + deny[i] + " is denied");
    }
    return Action.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): Action {
    if (this.firstData && dataSize > 0) {
      this.firstData = false;
      const prefixes = this.settings.config.denyFirstBytes;
      for (let i = 0; i < prefixes.length; i++) {
        const head = downstreamData.text(0, <u32>String.UTF8.byteLength(prefixes[i]));
        if (head == prefixes[i]) return this.deny("first bytes \"" + prefixes[i] + "\" are denied");
      }
    }
    this.bytesIn += dataSize;
    this.count(this.settings.bytesIn, dataSize);
    return Action.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): Action {
    this.bytesOut += dataSize;
    this.count(this.settings.bytesOut, dataSize);
    return Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    if (peer == PeerType.Local && this.deniedWhy.length == 0) logInfo("connection from " + this.source + " closed by the proxy");
  }

  // Runs once the connection has closed (after onDone, as Envoy orders a connection's end).
  onLog(): void {
    logInfo("connection from " + this.source + ": " + formatInt(<i64>this.bytesIn) + " bytes in, " +
      formatInt(<i64>this.bytesOut) + " bytes out" + (this.deniedWhy.length > 0 ? " (denied)" : ""));
  }
}

registerRootContext((id: u32): RootContext => new TcpRoot(id));
