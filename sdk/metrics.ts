// Counters, gauges and histograms. Tags are encoded in the name the way the C++ SDK does it:
// "<tag>.<value>." for each tag, then the metric name ("method.GET.requests_total"), so Envoy's
// stats_tags regexes can turn them back into tags. Envoy prefixes every name with "wasmcustom.".
import * as host from "./hostcalls";
import { MetricType, Status } from "./types";

export class Tag {
  constructor(public name: string, public value: string) {}
}

export function metricName(name: string, tags: Array<Tag> | null): string {
  if (tags === null) return name;
  let prefix = "";
  for (let i = 0; i < tags.length; i++) prefix += tags[i].name + "." + tags[i].value + ".";
  return prefix + name;
}

export class Counter {
  constructor(public readonly id: u32, public readonly name: string) {}
  static define(name: string, tags: Array<Tag> | null = null): Counter {
    const full = metricName(name, tags);
    return new Counter(host.defineMetric(MetricType.Counter, full), full);
  }
  increment(delta: u64 = 1): Status { return host.incrementMetric(this.id, <i64>delta); }
  get(): u64 { return host.getMetric(this.id); }
}

export class Gauge {
  constructor(public readonly id: u32, public readonly name: string) {}
  static define(name: string, tags: Array<Tag> | null = null): Gauge {
    const full = metricName(name, tags);
    return new Gauge(host.defineMetric(MetricType.Gauge, full), full);
  }
  set(value: i64): Status { return host.recordMetric(this.id, <u64>value); }
  add(delta: i64): Status { return host.incrementMetric(this.id, delta); }
  get(): i64 { return <i64>host.getMetric(this.id); }
}

export class Histogram {
  constructor(public readonly id: u32, public readonly name: string) {}
  static define(name: string, tags: Array<Tag> | null = null): Histogram {
    const full = metricName(name, tags);
    return new Histogram(host.defineMetric(MetricType.Histogram, full), full);
  }
  record(value: u64): Status { return host.recordMetric(this.id, value); }
}
