// What a stream's end costs in AssemblyScript modules: proxy_on_delete, where the SDK collects
// garbage, timed per call over many requests, with linear memory after every round. Modules are
// played in turn, round after round, so a machine that gets busier favours none of them.
// Usage (after "npm run build"):
//   node scripts/bench-stream-end.mjs [--rounds 5] [--requests 100000] a.wasm[=scenario.yaml] ...
// Prints, per module: proxy_on_delete µs per call and CPU µs per request (medians over the rounds,
// ± half their range), and linear memory after warm-up and after the last round.
// Results: docs/BENCHMARKS.md, "SDK overhead and stream-end collection".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const { Host } = await import(join(root, 'dist/host-sim/host.js'));
const { SyncDriver } = await import(join(root, 'dist/bench/driver.js'));
const { timeCallbacks, clockOverheadMs } = await import(join(root, 'dist/bench/instrument.js'));
const { DEFAULT_REQUEST } = await import(join(root, 'dist/bench/scenario.js'));
const { encodeConfig } = await import(join(root, 'dist/host-sim/harness/index.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return Number(value);
};
const rounds = option('--rounds', 5);
const requests = option('--requests', 100_000);
if (args.length === 0) {
  console.error('usage: node scripts/bench-stream-end.mjs [--rounds N] [--requests N] module.wasm[=scenario.yaml] ...');
  process.exit(2);
}

const subjects = args.map((arg) => {
  const [wasm, scenarioPath] = arg.split('=');
  const scenario = scenarioPath ? parse(readFileSync(scenarioPath, 'utf8')) : {};
  const host = new Host({ captureLogs: false, properties: scenario.properties });
  const vm = host.loadVm(new Uint8Array(readFileSync(wasm)), { label: wasm });
  vm.logLevel = 2; // Envoy's default (info), as bench runs it
  const plugin = host.startPlugin(vm, { rootId: scenario.rootId, configuration: encodeConfig(scenario.config) });
  const specs = scenario.requests?.map((r) => ({ ...r.request, response: r.response ?? r.request.response })) ?? [
    DEFAULT_REQUEST,
  ];
  const driver = new SyncDriver(host, [plugin], specs);
  driver.run(20_000);
  return { wasm, plugin, driver, warm: vm.memoryBytes(), deleteUs: [], requestUs: [] };
});

const overhead = clockOverheadMs();
for (let r = 0; r < rounds; r++) {
  for (const s of subjects) {
    // CPU time, not wall time: on a shared machine the wall clock also counts other processes.
    const cpu0 = process.cpuUsage();
    s.driver.run(requests);
    const cpu = process.cpuUsage(cpu0);
    s.requestUs.push((cpu.user + cpu.system) / requests);
    // Timed in chunks of 2048 streams (a multiple of any collection interval the SDK uses, so each
    // chunk holds the same share of collections), and summarized by the median chunk: a chunk the
    // scheduler interrupted is an outlier there, not a slice of every figure.
    for (let c = 0; c < Math.max(1, requests >> 13); c++) {
      const times = { ms: new Map(), calls: new Map() };
      const restore = timeCallbacks(s.plugin.vm, times, overhead);
      s.driver.run(2048);
      restore();
      s.deleteUs.push(((times.ms.get('proxy_on_delete') ?? 0) * 1000) / (times.calls.get('proxy_on_delete') ?? 1));
    }
  }
}

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[s.length >> 1];
  // Quartiles rather than the range: noise on a shared machine only ever adds time, in bursts.
  const q1 = s[Math.floor(s.length / 4)];
  const q3 = s[Math.floor((s.length * 3) / 4)];
  return `${median.toFixed(2)} (quartiles ${q1.toFixed(2)}-${q3.toFixed(2)}, ${s.length} samples)`;
};
for (const s of subjects) {
  console.log(
    `${s.wasm}: proxy_on_delete ${summary(s.deleteUs)} µs/call, ${summary(s.requestUs)} CPU µs/request, ` +
      `memory ${s.warm / 1024} KiB after warm-up, ${s.plugin.vm.memoryBytes() / 1024} KiB after ${rounds * (requests + Math.max(1, requests >> 13) * 2048)} more requests`,
  );
}
