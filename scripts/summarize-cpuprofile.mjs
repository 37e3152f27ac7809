#!/usr/bin/env node
// Where a proxy spent its CPU, from a V8 .cpuprofile (node --cpu-prof): self time grouped by
// where the code lives (wasm, host-sim, proxy, node:http and other node internals, GC, idle),
// and the top functions by self time, each as a share of the non-idle time. With --requests N
// the groups are also given in µs per request.
//
//   node scripts/summarize-cpuprofile.mjs FILE.cpuprofile [--top 25] [--requests N] [-o json]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const file = args[0];
if (!file || file.startsWith('-')) {
  process.stderr.write('usage: summarize-cpuprofile.mjs FILE.cpuprofile [--top 25] [--requests N] [-o json]\n');
  process.exit(2);
}
const top = Number(opt('--top', '25'));
const requests = Number(opt('--requests', '0'));
const json = opt('-o', 'text') === 'json';

const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
// Self time per node from the sample intervals (timeDeltas[i] precedes samples[i]).
const selfUs = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0;
  selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + dt);
}

function group(cf) {
  const { url, functionName } = cf;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(program)') return 'program (V8/native, unattributed)';
  if (url.startsWith('wasm://') || /^\$?(\w+\.)?wasm-function/.test(functionName)) return 'wasm';
  if (url.includes('/host-sim/')) return 'host-sim';
  if (url.includes('/proxy/')) return 'proxy';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.startsWith('node:_http') || url.startsWith('node:http')) return 'node:http';
  if (url.startsWith('node:net') || url.startsWith('node:stream') || url.startsWith('node:internal/streams'))
    return 'node:net/streams';
  if (url.startsWith('node:')) return 'node (other)';
  if (url === '') return 'native';
  return 'other';
}

const groups = new Map();
const fns = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  const g = group(n.callFrame);
  if (g === 'idle') {
    idle += us;
    continue;
  }
  total += us;
  groups.set(g, (groups.get(g) ?? 0) + us);
  const cf = n.callFrame;
  const where = cf.url ? `${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
  const key = `${cf.functionName || '(anonymous)'} ${where}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const pct = (us) => Math.round((us / total) * 1000) / 10;
const perReq = (us) => (requests > 0 ? Math.round((us / requests) * 10) / 10 : undefined);
const out = {
  file,
  busyMs: Math.round(total / 1000),
  idleMs: Math.round(idle / 1000),
  groups: [...groups]
    .sort((a, b) => b[1] - a[1])
    .map(([g, us]) => ({ group: g, percent: pct(us), usPerRequest: perReq(us) })),
  top: [...fns]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([f, us]) => ({ function: f, percent: pct(us), usPerRequest: perReq(us) })),
};
if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else {
  console.log(`${file}: busy ${out.busyMs} ms, idle ${out.idleMs} ms`);
  for (const g of out.groups)
    console.log(
      `  ${String(g.percent).padStart(5)}%  ${g.usPerRequest !== undefined ? `${g.usPerRequest} µs/req  ` : ''}${g.group}`,
    );
  console.log('top functions by self time:');
  for (const f of out.top)
    console.log(
      `  ${String(f.percent).padStart(5)}%  ${f.usPerRequest !== undefined ? `${f.usPerRequest} µs/req  ` : ''}${f.function}`,
    );
}
