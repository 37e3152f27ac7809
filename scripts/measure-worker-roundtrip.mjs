// What running each filter VM in a worker thread would cost per call (docs/decisions.md, the
// execution-deadline entry): the cheapest synchronous round trip between the main thread and a
// worker, a SharedArrayBuffer flag with Atomics.wait/notify in both directions, no data copied.
// A request crosses once per callback (6 for header-routing) and once per host call (7.8), since
// header maps and buffers live on the main thread. Usage: node scripts/measure-worker-roundtrip.mjs
import { Worker } from 'node:worker_threads';

const N = 200_000;
const sab = new SharedArrayBuffer(8);
const flag = new Int32Array(sab);
const worker = new Worker(
  `const { workerData } = require('node:worker_threads');
   const flag = new Int32Array(workerData);
   for (;;) {
     Atomics.wait(flag, 0, 0);
     if (Atomics.load(flag, 1) === 1) break;
     Atomics.store(flag, 0, 0);
     Atomics.notify(flag, 0);
   }`,
  { eval: true, workerData: sab },
);
const once = () => {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  while (Atomics.load(flag, 0) !== 0) Atomics.wait(flag, 0, 1, 1);
};
for (let i = 0; i < 10_000; i++) once();
const runs = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) once();
  runs.push(((performance.now() - t0) * 1000) / N);
}
Atomics.store(flag, 1, 1);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
await worker.terminate();
runs.sort((a, b) => a - b);
console.log(`worker round trip (Atomics.wait/notify): median ${runs[2].toFixed(2)} us over ${N} calls x 5 runs`);
