#!/usr/bin/env node
// The three shipped filters chained (authz, telemetry, header-routing, with their example
// configs) through the proxy under wrk, against the same proxy with no filters, in alternating
// rounds (A B, B A, ...), so a machine that gets busier or quieter during the run favours
// neither. Reports per setup the median requests/s with its spread, the proxy process's CPU per
// request (user + system, from process.cpuUsage in the proxy) and its GC pauses per request
// (perf_hooks), and the chain ÷ no-filters ratio
// per round and its median. A script, not a test: results go to docs/BENCHMARKS.md.
//
//   npm run build && node scripts/bench-proxy-chain.mjs [--rounds 5] [--duration 4] [--connections 32]
//       [--each] [--profile DIR [--heap]] [-o json]
//   npm run build && node scripts/bench-proxy-chain.mjs --inprocess [--requests 5000] [--runs 5]
//
// --inprocess builds the same modules and runs scripts/bench-proxy-chain-inprocess.mjs on them
// with the same request (the floor: no sockets), printing its JSON.
// --each adds one setup per filter alone; --profile DIR writes a V8 CPU profile of each setup's
// measured rounds (not start-up or warm-up) to DIR/<setup>.cpuprofile, with the request count
// in DIR/<setup>.requests; summarize with scripts/summarize-cpuprofile.mjs. With --heap, a
// sampling heap profile (DIR/<setup>.heapprofile, what allocates; open it in Chrome DevTools). Profiling slows the
// proxy: take throughput figures from runs without it. Every process is started by this script
// and ended by it.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import YAML from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const rounds = Number(opt('--rounds', '5'));
const durationS = Number(opt('--duration', '4'));
const connections = Number(opt('--connections', '32'));
const profileDir = opt('--profile', undefined);
const profileKind = args.includes('--heap') ? 'heapprofile' : 'cpuprofile';
const each = args.includes('--each');
const json = opt('-o', 'text') === 'json';
const inprocess = args.includes('--inprocess');
const log = (m) => process.stderr.write(`bench-proxy-chain: ${m}\n`);

const { buildProject } = await import(join(root, 'dist/builder/index.js'));
const { parseWrk } = await import(join(root, 'dist/bench/proxy-load.js'));

// The filters in chain order, each with the config of its example scenario.
const FILTERS = [
  { name: 'authz', example: 'rules-and-credentials.yaml' },
  { name: 'telemetry', example: 'metrics-and-access-log.yaml' },
  { name: 'header-routing', example: 'canary-and-rewrites.yaml' },
];
// One request all three act on: authz verifies the JWT of its example (HS256, expires 2100) on
// an /api/ rule and forwards claims; telemetry tags x-tenant and writes its access-log line;
// header-routing evaluates its rules and sets the route header (default route).
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImRldiJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6Imh0dHBzOi8vaXNzdWVyLmV4YW1wbGUiLCJhdWQiOiJzaG9wIiwiZ3JvdXBzIjpbImJ1eWVycyJdLCJleHAiOjQxMDI0NDQ4MDB9.SoL6ZXyMoPWRG7wurQqxJwuIk726jQu1TsiL-Gu-TGM';
const PATH = '/api/orders';
const HEADERS = [
  ['host', 'shop.example'],
  ['authorization', `Bearer ${JWT}`],
  ['x-tenant', 'acme'],
  ['x-user-id', 'alice'],
];

const UPSTREAM = `
const http = require('node:http');
const body = Buffer.from('{"ok":true}');
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body));
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + s.address().port + '\\n'));
`;

const children = new Set();
function spawnChild(argv) {
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = () => new Promise((r) => waiting.push(r));
  return { child, next };
}

function wrk(url) {
  const a = ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency'];
  for (const [k, v] of HEADERS) a.push('-H', `${k}: ${v}`);
  a.push(url + PATH);
  return new Promise((resolve, reject) =>
    execFile('wrk', a, { timeout: (durationS + 30) * 1000 }, (err, out, stderr) =>
      err ? reject(new Error(`wrk failed: ${stderr || err.message}`)) : resolve(out),
    ),
  );
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x) => Math.round(x * 100) / 100;
const r3 = (x) => Math.round(x * 1000) / 1000;

const work = mkdtempSync(join(tmpdir(), 'meshwasm-chain-bench-'));
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  const filters = [];
  for (const f of FILTERS) {
    log(`building filters/${f.name}`);
    const r = await buildProject({ dir: join(root, 'filters', f.name), outFile: join(work, `${f.name}.wasm`) });
    const config = YAML.parse(readFileSync(join(root, 'filters', f.name, 'examples', f.example), 'utf8')).config;
    filters.push({ name: f.name, module: r.outFile, config });
  }
  if (inprocess) {
    // The same request as wrk sends, as the header list a proxy hands the filters.
    const request = [
      [':method', 'GET'],
      [':path', PATH],
      [':scheme', 'http'],
      [':authority', HEADERS.find(([k]) => k === 'host')[1]],
      ...HEADERS.filter(([k]) => k !== 'host'),
    ];
    const config = join(work, 'chain.json');
    writeFileSync(config, JSON.stringify({ filters, request }));
    const floorArgs = [join(root, 'scripts/bench-proxy-chain-inprocess.mjs'), config];
    for (const name of ['--requests', '--runs']) if (opt(name)) floorArgs.push(name, opt(name));
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, floorArgs, (err, stdout, stderr) =>
        err ? reject(new Error(stderr || err.message)) : resolve(stdout),
      ),
    );
    process.stdout.write(out);
  } else {
    const upstream = spawnChild(['-e', UPSTREAM]);
    const upstreamUrl = await upstream.next();

    const setups = [
      { name: 'no filters', filters: [] },
      { name: 'chain', filters },
      ...(each ? filters.map((f) => ({ name: f.name, filters: [f] })) : []),
    ];
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    for (const s of setups) {
      const profile = profileDir ? join(profileDir, `${s.name.replaceAll(' ', '-')}.${profileKind}`) : undefined;
      s.proc = spawnChild([
        join(root, 'scripts/bench-proxy-chain-server.mjs'),
        JSON.stringify({ upstream: upstreamUrl, filters: s.filters, profile }),
      ]);
      s.profile = profile;
      s.url = await s.proc.next();
      s.runs = [];
    }
    const cpu = async (s) => {
      s.proc.child.stdin.write('cpu\n');
      const [, user, system, minor, major, other] = (await s.proc.next()).split(' ').map(Number);
      return { cpu: user + system, gcUs: (minor + major + other) * 1000, majorUs: major * 1000 };
    };
    const measure = async (s) => {
      const before = await cpu(s);
      const f = parseWrk(await wrk(s.url), s.name);
      const after = await cpu(s);
      return {
        ...f,
        cpuUsPerRequest: r2((after.cpu - before.cpu) / f.requests),
        gcUsPerRequest: r2((after.gcUs - before.gcUs) / f.requests),
        majorGcUsPerRequest: r2((after.majorUs - before.majorUs) / f.requests),
      };
    };

    log(`warm-up: ${durationS}s per setup`);
    for (const s of setups) await measure(s);
    const command = async (s, c) => {
      s.proc.child.stdin.write(`${c}\n`);
      await s.proc.next();
    };
    if (profileDir) for (const s of setups) await command(s, 'profile-start');
    const loadBefore = loadavg();
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? setups : [...setups].reverse();
      for (const s of order) {
        log(`round ${r + 1}/${rounds}: ${s.name}, ${connections} connections for ${durationS}s`);
        s.runs.push(await measure(s));
      }
    }
    const loadAfter = loadavg();
    if (profileDir)
      for (const s of setups) {
        await command(s, 'profile-stop');
        writeFileSync(`${s.profile.replace(/\.\w+$/, '')}.requests`, `${s.runs.reduce((a, x) => a + x.requests, 0)}\n`);
      }

    const base = setups[0];
    const summary = setups.map((s) => {
      const rps = s.runs.map((x) => x.requestsPerSec);
      const ratios = s.runs.map((x, i) => x.requestsPerSec / base.runs[i].requestsPerSec);
      return {
        setup: s.name,
        filters: s.filters.map((f) => f.name),
        requestsPerSec: { median: Math.round(median(rps)), min: Math.min(...rps), max: Math.max(...rps) },
        ratioToNoFilters: { median: r3(median(ratios)), perRound: ratios.map(r3) },
        cpuUsPerRequest: {
          median: r2(median(s.runs.map((x) => x.cpuUsPerRequest))),
          perRound: s.runs.map((x) => x.cpuUsPerRequest),
        },
        gcPauseUsPerRequest: {
          median: r2(median(s.runs.map((x) => x.gcUsPerRequest))),
          majorMedian: r2(median(s.runs.map((x) => x.majorGcUsPerRequest))),
        },
        latencyMs: {
          p50: r2(median(s.runs.map((x) => x.latencyMs.p50))),
          p99: r2(median(s.runs.map((x) => x.latencyMs.p99))),
        },
        errors: s.runs.reduce((a, x) => a + x.errors, 0),
      };
    });
    const report = {
      request: { path: PATH, headers: HEADERS.map(([k]) => k) },
      rounds,
      durationSec: durationS,
      connections,
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      loadAverage: { before: loadBefore.map(r2), after: loadAfter.map(r2) },
      setups: summary,
    };
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      console.log(`wrk -t1 -c${connections} -d${durationS}s GET ${PATH}; ${rounds} alternating rounds`);
      console.log(
        `load average before ${report.loadAverage.before.join(' ')}, after ${report.loadAverage.after.join(' ')}`,
      );
      for (const s of summary) {
        console.log(
          `${s.setup.padEnd(15)} ${String(s.requestsPerSec.median).padStart(6)} req/s (${s.requestsPerSec.min}-${s.requestsPerSec.max})` +
            `  ratio ${s.ratioToNoFilters.median} [${s.ratioToNoFilters.perRound.join(' ')}]` +
            `  proxy CPU ${s.cpuUsPerRequest.median} µs/req [${s.cpuUsPerRequest.perRound.join(' ')}]` +
            `  GC pauses ${s.gcPauseUsPerRequest.median} µs/req (major ${s.gcPauseUsPerRequest.majorMedian})` +
            `  p50 ${s.latencyMs.p50} ms p99 ${s.latencyMs.p99} ms  errors ${s.errors}`,
        );
      }
    }
    for (const s of setups) {
      s.proc.child.stdin.end();
      await new Promise((r) => (s.proc.child.exitCode !== null ? r() : s.proc.child.once('exit', r)));
    }
    upstream.child.kill();
  }
} finally {
  cleanup();
}
