// Istio-style request metrics. proxy-wasm metrics have no tag API: tags are encoded in the name
// as "<tag>.<value>." pairs before the metric name (the SDK's metricName), and Envoy prefixes
// the stat with "wasmcustom.". Values lose their dots (-> "_") so Envoy's stats_tags regexes
// can split them again. Ids are cached per name: define_metric is a host call per request otherwise.
import { Counter, Histogram, Tag, metricName } from "meshwasm/sdk";

export const OVERFLOW = "overflow";

export class MetricSet {
  private counters: Map<string, Counter> = new Map<string, Counter>();
  private histograms: Map<string, Histogram> = new Map<string, Histogram>();
  combinations: i32 = 0;
  constructor(public prefix: string, public maxCombinations: i32) {}

  /** False when this tag set would exceed maxTagCombinations (the caller then tags "overflow"). */
  known(tags: Array<Tag>): bool {
    return this.counters.has(metricName(this.prefix + "requests_total", tags));
  }

  record(tags: Array<Tag>, durationMs: u64, requestBytes: u64, responseBytes: u64): void {
    this.counter("requests_total", tags).increment(1);
    this.histogram("request_duration_milliseconds", tags).record(durationMs);
    this.histogram("request_bytes", tags).record(requestBytes);
    this.histogram("response_bytes", tags).record(responseBytes);
  }

  private counter(name: string, tags: Array<Tag>): Counter {
    const full = metricName(this.prefix + name, tags);
    if (this.counters.has(full)) return this.counters.get(full);
    this.combinations++;
    const c = Counter.define(this.prefix + name, tags);
    this.counters.set(full, c);
    return c;
  }

  private histogram(name: string, tags: Array<Tag>): Histogram {
    const full = metricName(this.prefix + name, tags);
    if (this.histograms.has(full)) return this.histograms.get(full);
    const h = Histogram.define(this.prefix + name, tags);
    this.histograms.set(full, h);
    return h;
  }
}

/** A tag value safe inside a dotted stat name: dots become "_", empty becomes "unknown". */
export function tagValue(s: string | null): string {
  if (s === null || s.length == 0) return "unknown";
  if (s.indexOf(".") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i) == 0x2e ? "_" : s.charAt(i);
  return out;
}
