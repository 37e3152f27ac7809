// Istio-style request metrics. proxy-wasm metrics have no tag API: tags are encoded in the name
// as "<tag>.<value>." pairs before the metric name (as the SDK's metricName does), and Envoy prefixes
// the stat with "wasmcustom.". Values lose their dots (-> "_") so Envoy's stats_tags regexes
// can split them again.
//
// A request looks its series up by the tag values alone (a hash of them, then a comparison):
// the metric names are built once, when a tag combination is first seen and its four metrics
// are defined. Building the four names per request to look them up cost more than the rest of
// on_log's metric work (docs/BENCHMARKS.md, issue 19).
import { MetricType } from "meshwasm/sdk";
import { defineMetric, incrementMetric, recordMetric } from "meshwasm/sdk/hostcalls";
import { replaceChar } from "meshwasm/sdk/ascii";
import { TelemetryConfig } from "./config";

export const OVERFLOW = "overflow";

/** The four metrics of one tag combination, by their ids (requests_total first, then the histograms). */
class Series {
  ids: StaticArray<u32> = new StaticArray<u32>(4);
  constructor(public hash: u32, public values: Values) {}
}

/**
 * Tag values, one per tag name, never null: typed as the StaticArray<string | null> the filter
 * uses for header values anyway (one instantiation of its code, not two).
 */
export type Values = StaticArray<string | null>;

const METRICS: Array<string> = ["requests_total", "request_duration_milliseconds", "request_bytes", "response_bytes"];

/** Tag names in the order the configuration implies; on_log fills `values` in the same order. */
export function tagNames(c: TelemetryConfig): Array<string> {
  const names = ["request_method", "response_code_class"];
  if (c.responseCodeTag) names.push("response_code");
  if (c.routeTag == "authority") names.push("destination_authority");
  else if (c.routeTag == "route_name") names.push("route_name");
  for (let i = 0; i < c.tagHeaderTags.length; i++) names.push(c.tagHeaderTags[i]);
  return names;
}

export class MetricSet {
  prefix: string;
  maxCombinations: i32;
  names: Array<string>;
  /** This request's tag values, set by the caller before record(), one per name. */
  values: Values;
  combinations: i32 = 0;
  /**
   * Open addressing with linear probing, at most half full, doubled as combinations are added:
   * smaller code than a Map (the module's size is budgeted) and no allocation per lookup.
   */
  private table: StaticArray<Series | null> = new StaticArray<Series | null>(16);

  constructor(c: TelemetryConfig) {
    this.prefix = c.metricPrefix;
    this.maxCombinations = c.maxTagCombinations;
    const names = tagNames(c);
    this.names = names;
    const values = new StaticArray<string | null>(names.length);
    for (let i = 0; i < values.length; i++) unchecked(values[i] = "");
    this.values = values;
  }

  record(durationMs: u64, requestBytes: u64, responseBytes: u64): void {
    let s = this.find();
    if (s === null) {
      // Cardinality guard: once the budget of tag combinations is spent, new ones share one series.
      if (this.combinations >= this.maxCombinations) {
        for (let i = 0; i < this.values.length; i++) unchecked(this.values[i] = OVERFLOW);
        s = this.find();
      }
      if (s === null) s = this.define();
    }
    const ids = s.ids;
    incrementMetric(ids[0], 1);
    recordMetric(ids[1], durationMs);
    recordMetric(ids[2], requestBytes);
    recordMetric(ids[3], responseBytes);
  }

  private find(): Series | null {
    const h = hashValues(this.values);
    const mask = this.table.length - 1;
    let i = <i32>h & mask;
    let s = this.table[i];
    while (s !== null && (s.hash != h || !sameValues(s.values, this.values))) {
      i = (i + 1) & mask;
      s = this.table[i];
    }
    return s;
  }

  private define(): Series {
    this.combinations++;
    const values = new StaticArray<string | null>(this.values.length);
    for (let i = 0; i < values.length; i++) unchecked(values[i] = this.values[i]);
    // The tag part of the four names, built once: what the SDK's metricName writes, without a Tag
    // object per value (the Tag class and its array are code this module need not carry).
    let tagged = "";
    for (let i = 0; i < values.length; i++) tagged += this.names[i] + "." + changetype<string>(unchecked(values[i])) + ".";
    tagged += this.prefix;
    const s = new Series(hashValues(values), values);
    for (let i = 0; i < 4; i++) {
      s.ids[i] = defineMetric(i == 0 ? MetricType.Counter : MetricType.Histogram, tagged + METRICS[i]);
    }
    if (this.combinations * 2 > this.table.length) {
      const old = this.table;
      this.table = new StaticArray<Series | null>(old.length * 2);
      for (let i = 0; i < old.length; i++) { const o = old[i]; if (o !== null) this.insert(o); }
    }
    this.insert(s);
    return s;
  }

  private insert(s: Series): void {
    const mask = this.table.length - 1;
    let i = <i32>s.hash & mask;
    while (this.table[i] !== null) i = (i + 1) & mask;
    this.table[i] = s;
  }
}

/** FNV-1a over the values' code units, with a separator between values. */
function hashValues(values: Values): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    const v = changetype<string>(unchecked(values[i]));
    for (let j = 0; j < v.length; j++) h = (h ^ <u32>v.charCodeAt(j)) * 0x01000193;
    h = (h ^ 0xffff) * 0x01000193;
  }
  return h;
}

function sameValues(a: Values, b: Values): bool {
  for (let i = 0; i < a.length; i++) if (changetype<string>(unchecked(a[i])) != changetype<string>(unchecked(b[i]))) return false;
  return true;
}

/** A tag value safe inside a dotted stat name: dots become "_", empty becomes "unknown". */
export function tagValue(s: string | null): string {
  if (s === null || s.length == 0) return "unknown";
  return replaceChar(s, 0x2e, "_");
}
