#!/usr/bin/env node
// One proxy under test for scripts/bench-proxy-chain.mjs, in its own process so each setup has
// an event loop and a heap to itself (and can run under `node --cpu-prof`). Reads its setup as
// JSON from argv[2]: { upstream, filters: [{ name, module (path), config (object) }], profile? };
// prints the listening URL on stdout, then answers commands on stdin, one per line:
// "cpu" -> "cpu <user µs> <system µs> <GC ms: minor major other>"; with `profile` (a file path), "profile-start" and
// "profile-stop" -> "ok" record a V8 CPU profile (or, for a .heapprofile path, a sampling heap
// profile: what allocates) of just the measured rounds (node:inspector, so start-up and warm-up,
// e.g. metering the modules with binaryen, stay out of it).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname;
const { startProxy } = await import(`${root}dist/proxy/index.js`);
const setup = JSON.parse(process.argv[2]);
const proxy = await startProxy({
  upstream: setup.upstream,
  // As `meshwasm bench --proxy`: filters see log level info; nothing is printed per request.
  logLevel: 'info',
  filters: setup.filters.map((f) => ({
    kind: 'wasm',
    name: f.name,
    module: new Uint8Array(readFileSync(f.module)),
    configuration: JSON.stringify(f.config ?? {}),
  })),
});
process.stdout.write(`${proxy.url}\n`);
// Time in GC pauses by kind (minor: scavenge, major: mark-compact), ms since start.
const gc = { minor: 0, major: 0, other: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const k = e.detail?.kind;
    const kind =
      k === constants.NODE_PERFORMANCE_GC_MINOR
        ? 'minor'
        : k === constants.NODE_PERFORMANCE_GC_MAJOR
          ? 'major'
          : 'other';
    gc[kind] += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const lines = createInterface({ input: process.stdin });
let session;
lines.on('line', async (l) => {
  if (l === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user} ${u.system} ${gc.minor} ${gc.major} ${gc.other}\n`);
  } else if (l === 'profile-start' && setup.profile) {
    session = new Session();
    session.connect();
    if (setup.profile.endsWith('.heapprofile'))
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        // Count what was allocated, not only what is still alive at the stop: garbage is the point.
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    else {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    process.stdout.write('ok\n');
  } else if (l === 'profile-stop' && session) {
    const { profile } = setup.profile.endsWith('.heapprofile')
      ? await session.post('HeapProfiler.stopSampling')
      : await session.post('Profiler.stop');
    writeFileSync(setup.profile, JSON.stringify(profile));
    session.disconnect();
    session = undefined;
    process.stdout.write('ok\n');
  }
});
// stdin closing is the signal to stop.
lines.on('close', () => {
  void proxy.close().then(() => process.exit(0));
});
