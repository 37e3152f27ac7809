#!/usr/bin/env node
// The floor under scripts/bench-proxy-chain.mjs: the same filters (built by that script into
// DIR), the same request and the same per-stream path the proxy takes (loadFilter + FilterManager
// + WasmHttpFilter, metered as the proxy runs them), with no sockets and no node:http. What is
// left is the filters' wasm plus the host simulator around it, in CPU µs per request: a proxy
// chain can never cost less than this on top of the proxy's own HTTP work.
//
//   node scripts/bench-proxy-chain-inprocess.mjs CONFIG.json [--requests 20000] [--runs 5]
//
// CONFIG.json: { filters: [{ name, module (path), config }], request: [[name, value], ...] },
// written by bench-proxy-chain.mjs --inprocess.
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const requests = Number(opt('--requests', '20000'));
const runs = Number(opt('--runs', '5'));
const setup = JSON.parse(readFileSync(args[0], 'utf8'));

const { Host } = await import(`${root}dist/host-sim/host.js`);
const { loadMeter } = await import(`${root}dist/host-sim/module/meter.js`);
const { FilterManager } = await import(`${root}dist/host-sim/filter-manager.js`);
const { loadFilter } = await import(`${root}dist/proxy/loaded-filter.js`);

await loadMeter();
const host = new Host({ startTimeMs: Date.now(), captureLogs: false, vmLimits: {} });
const filters = setup.filters.map((f) =>
  loadFilter(
    host,
    {
      kind: 'wasm',
      name: f.name,
      module: new Uint8Array(readFileSync(f.module)),
      configuration: JSON.stringify(f.config ?? {}),
    },
    'info',
  ),
);
const body = Buffer.from('{"ok":true}');
const response = [
  [':status', '200'],
  ['content-type', 'application/json'],
  ['content-length', String(body.length)],
];
let upstreamSeen = 0;

function oneRequest() {
  let fm;
  const sinks = {
    upstreamHeaders(_h, end) {
      upstreamSeen++;
      if (!end) return;
      // The upstream answers at once, as the proxy's upstream would (a copy: filters edit maps).
      fm.encodeHeaders(
        response.map(([k, v]) => [k, v]),
        false,
      );
      fm.encodeData(body, true);
    },
    upstreamData() {},
    upstreamTrailers() {},
    upstreamAbort() {},
    downstreamHeaders() {},
    downstreamData() {},
    downstreamTrailers() {},
    downstreamReset() {},
  };
  fm = new FilterManager([], sinks);
  for (const f of filters) {
    const part = f.forRequest();
    if (typeof part === 'string') throw new Error(`filter ${f.name} is ${part}`);
    fm.add((cb) => part.stage(cb));
  }
  fm.decodeHeaders(
    setup.request.map(([k, v]) => [k, v]),
    true,
  );
  if (!fm.isComplete) fm.reset();
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const perRun = [];
const gcPerRun = [];
for (let i = 0; i < 2000; i++) oneRequest();
for (let r = 0; r < runs; r++) {
  const before = process.cpuUsage();
  const gcBefore = gcMs;
  for (let i = 0; i < requests; i++) oneRequest();
  const u = process.cpuUsage(before);
  perRun.push((u.user + u.system) / requests);
  // GC entries arrive asynchronously: let them in before reading the total.
  await new Promise((r) => setImmediate(r));
  gcPerRun.push(((gcMs - gcBefore) * 1000) / requests);
}
if (upstreamSeen === 0) throw new Error('no request reached the upstream: the chain refused it');
const sorted = [...perRun].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    cpuUsPerRequest: {
      median: Math.round(sorted[sorted.length >> 1] * 100) / 100,
      perRun: perRun.map((x) => Math.round(x * 100) / 100),
    },
    gcPauseUsPerRequest: gcPerRun.map((x) => Math.round(x * 100) / 100),
    reachedUpstream: upstreamSeen,
  })}\n`,
);
