import { MetricType, WasmResult } from '../abi/constants.js';

export interface MetricValue {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Counter and gauge value; for histograms the sum of recorded values. */
  value: number;
  /** Histograms only: every recorded value, in order. */
  samples?: number[];
}

const TYPE_NAMES = ['counter', 'gauge', 'histogram'] as const;
/** Envoy encodes the metric type in the low two bits of the id. */
const TYPE_MASK = 0x3;
const ID_INCREMENT = 0x4;

/**
 * Envoy's stats as proxy-wasm sees them: names are global to the proxy (modules that define the
 * same name share the stat), ids are per VM. Semantics follow Envoy's context.cc.
 */
export class MetricStore {
  private byName = new Map<string, MetricValue>();
  private byId = new Map<number, MetricValue>();
  private nextId = ID_INCREMENT;

  define(type: number, name: string): { result: WasmResult; id: number } {
    if (type < 0 || type > 2) return { result: WasmResult.BadArgument, id: 0 };
    let m = this.byName.get(name);
    if (!m) {
      m = { name, type: TYPE_NAMES[type]!, value: 0 };
      if (type === MetricType.Histogram) m.samples = [];
      this.byName.set(name, m);
    }
    const id = this.nextId | type;
    this.nextId += ID_INCREMENT;
    this.byId.set(id, m);
    return { result: WasmResult.Ok, id };
  }

  increment(id: number, offset: bigint): WasmResult {
    const type = id & TYPE_MASK;
    const m = this.byId.get(id);
    if (type === MetricType.Counter) {
      if (!m) return WasmResult.NotFound;
      if (offset <= 0n) return WasmResult.BadArgument;
      m.value += Number(offset);
      return WasmResult.Ok;
    }
    if (type === MetricType.Gauge) {
      if (!m) return WasmResult.NotFound;
      m.value += Number(offset);
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }

  record(id: number, value: bigint): WasmResult {
    const type = id & TYPE_MASK;
    const m = this.byId.get(id);
    if (!m) return WasmResult.NotFound;
    if (type === MetricType.Counter) m.value += Number(value);
    else if (type === MetricType.Gauge) m.value = Number(value);
    else if (type === MetricType.Histogram) {
      m.value += Number(value);
      // Keep memory bounded under long benchmarks: beyond 100k samples keep a running sum only.
      if (m.samples!.length < 100_000) m.samples!.push(Number(value));
    } else return WasmResult.NotFound;
    return WasmResult.Ok;
  }

  get(id: number): { result: WasmResult; value: bigint } {
    const type = id & TYPE_MASK;
    if (type === MetricType.Histogram) return { result: WasmResult.BadArgument, value: 0n };
    const m = this.byId.get(id);
    if (!m) return { result: WasmResult.NotFound, value: 0n };
    return { result: WasmResult.Ok, value: BigInt(Math.trunc(m.value)) };
  }

  /** By name, as Envoy's stats would show them (without the "wasmcustom." prefix). */
  lookup(name: string): MetricValue | undefined {
    return this.byName.get(name);
  }

  all(): MetricValue[] {
    return [...this.byName.values()];
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.byName.values()) out[m.name] = m.value;
    return out;
  }
}
