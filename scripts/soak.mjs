#!/usr/bin/env node
// Soak: the proxy with the three shipped filters (authz, header-routing, telemetry) from a real
// control plane, under wrk, with hot swaps and control-plane restarts (kill -9, then SIGTERM) in
// the middle. A script, not a test: it reports figures (requests, errors, p99, RSS before/after)
// and exits 1 only when something a user would call broken happened (an error response the
// failure policy did not decide, a socket error, a swap that never arrived).
//
//   npm run build && node scripts/soak.mjs [--duration 60] [--connections 16] [--threads 2] [--no-events] [-o json]
//
// Every process is started by this script and ended by it, by pid. Results: docs/RELIABILITY.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'bin/meshwasm.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const durationS = Number(opt('--duration', '60'));
const connections = Number(opt('--connections', '16'));
const threads = Number(opt('--threads', '2'));
const json = opt('-o', 'text') === 'json';
// Baseline for the RSS figure: the same load with no swap and no restart.
const noEvents = args.includes('--no-events');
const log = (m) => process.stderr.write(`soak: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { buildProject } = await import(join(root, 'dist/builder/index.js'));

async function freePort() {
  const s = createNetServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

const work = mkdtempSync(join(tmpdir(), 'meshwasm-soak-'));
const configDir = join(work, 'extensions');
const children = new Set();
function start(name, argv) {
  const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.once('exit', () => children.delete(child));
  return { child, name, output: () => out, exited };
}
async function stop(p, signal) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  // 1. The three shipped filters, built as `meshwasm build` builds them.
  const built = {};
  for (const dir of ['authz', 'header-routing', 'telemetry']) {
    log(`building filters/${dir}`);
    const r = await buildProject({ dir: join(root, 'filters', dir), outFile: join(work, `${dir}.wasm`) });
    built[dir] = r.outFile;
  }

  // 2. Upstream: answers 200 with a small body (the soak measures the proxy, not this).
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok'));
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;

  // 3. Manifests; each swap below rewrites one of them.
  const manifest = (name, dir, phase, priority, pluginConfig) =>
    YAML.stringify({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      metadata: { name, namespace: 'default' },
      spec: { url: `file://${built[dir]}`, phase, priority, failStrategy: 'FAIL_CLOSE', pluginConfig },
    });
  const authz = (extraRule) =>
    manifest('authz', 'authz', 'AUTHZ', 10, {
      defaultAction: 'deny',
      rules: [
        { name: 'public-pages', match: { path: { prefix: '/public' } } },
        { name: 'signed-in', match: { headers: [{ name: 'x-user', present: true }] } },
        ...(extraRule ? [{ name: extraRule, match: { path: { prefix: `/${extraRule}` } } }] : []),
      ],
    });
  const routing = (route) =>
    manifest('header-routing', 'header-routing', 'AUTHZ', 5, {
      routeHeader: 'x-meshwasm-cluster',
      defaultRoute: route,
      rules: [{ name: 'beta', match: { headers: [{ name: 'x-beta', exact: 'yes' }] }, route: 'canary' }],
    });
  const telemetry = (prefix) => manifest('telemetry', 'telemetry', 'STATS', 0, { metricPrefix: prefix });
  execFileSync('mkdir', ['-p', configDir]);
  writeFileSync(join(configDir, 'authz.yaml'), authz());
  writeFileSync(join(configDir, 'routing.yaml'), routing('stable'));
  writeFileSync(join(configDir, 'telemetry.yaml'), telemetry('soak_'));

  // 4. Control plane and proxy, as users run them.
  const ports = { xds: await freePort(), http: await freePort(), listen: await freePort(), admin: await freePort() };
  const cpArgs = [
    'control-plane',
    '--config-dir',
    configDir,
    '--cache-dir',
    join(work, 'cache'),
    '--xds-listen',
    `127.0.0.1:${ports.xds}`,
    '--http-listen',
    `127.0.0.1:${ports.http}`,
    '-o',
    'json',
  ];
  const startCp = async () => {
    const p = start('control-plane', cpArgs);
    for (let i = 0; i < 600 && !p.output().includes('"xds"'); i++) await sleep(50);
    if (!p.output().includes('"xds"')) throw new Error(`control plane did not start: ${p.output()}`);
    return p;
  };
  let cp = await startCp();
  const proxy = start('proxy', [
    'proxy',
    '--upstream',
    upstreamUrl,
    '--listen',
    `127.0.0.1:${ports.listen}`,
    '--xds',
    `127.0.0.1:${ports.xds}`,
    '--admin',
    String(ports.admin),
    '--route-header',
    'x-meshwasm-cluster',
    '--cluster',
    `stable=${upstreamUrl}`,
    '--cluster',
    `canary=${upstreamUrl}`,
    '-o',
    'json',
  ]);
  const stats = async () => (await fetch(`http://127.0.0.1:${ports.admin}/stats`)).json();
  for (let i = 0; ; i++) {
    try {
      if ((await stats()).chain.filters.length === 3) break;
    } catch {
      /* not listening yet */
    }
    if (i > 600) throw new Error(`the proxy never received the 3-filter chain: ${proxy.output()}`);
    await sleep(100);
  }
  const url = `http://127.0.0.1:${ports.listen}`;
  // Sanity: authz decides (403 anonymous on a private path), signed-in requests pass.
  const anon = (await fetch(`${url}/orders`)).status;
  const signed = (await fetch(`${url}/orders`, { headers: { 'x-user': 'soak' } })).status;
  if (anon !== 403 || signed !== 200) throw new Error(`unexpected answers before the soak: ${anon}, ${signed}`);
  for (let i = 0; i < 200; i++) await fetch(`${url}/orders`, { headers: { 'x-user': 'warm' } });
  const before = await stats();
  const rssBefore = rssKiB(proxy.child.pid);
  log(`proxy RSS before: ${rssBefore} KiB; running wrk for ${durationS} s`);

  // 5. wrk, and the events in the middle of it.
  const wrk = spawn(
    'wrk',
    [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, '--latency', '-H', 'x-user: soak', `${url}/orders`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(wrk);
  let wrkOut = '';
  wrk.stdout.on('data', (d) => {
    wrkOut += d;
  });
  const wrkDone = new Promise((r) => wrk.once('exit', r));
  const t0 = Date.now();
  const at = async (fraction) => {
    const wait = t0 + fraction * durationS * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const events = [];
  const note = (what) => {
    events.push({ atS: Math.round((Date.now() - t0) / 100) / 10, what });
    log(what);
  };
  const versions = new Set([before.chain.version]);
  const poll = setInterval(async () => {
    try {
      versions.add((await stats()).chain.version);
    } catch {
      /* the admin listener is busy; next time */
    }
  }, 250);
  if (!noEvents) await events_();
  async function events_() {
    await at(0.15);
    writeFileSync(join(configDir, 'telemetry.yaml'), telemetry('soak2_'));
    note('hot swap 1: telemetry metricPrefix');
    await at(0.3);
    writeFileSync(join(configDir, 'authz.yaml'), authz('extra'));
    note('hot swap 2: authz gains a rule');
    await at(0.4);
    await stop(cp, 'SIGKILL');
    note('control plane killed (SIGKILL)');
    writeFileSync(join(configDir, 'routing.yaml'), routing('canary'));
    note('while it is down: header-routing default route changed');
    await at(0.45);
    cp = await startCp();
    note('control plane restarted on the same ports');
    await at(0.65);
    await stop(cp, 'SIGTERM');
    note('control plane stopped (SIGTERM)');
    writeFileSync(join(configDir, 'telemetry.yaml'), telemetry('soak3_'));
    await at(0.7);
    cp = await startCp();
    note('control plane restarted; telemetry changed while it was down');
    await at(0.85);
    writeFileSync(join(configDir, 'authz.yaml'), authz());
    note('hot swap: authz rule removed again');
  }
  await wrkDone;
  clearInterval(poll);
  children.delete(wrk);
  // Converged: the proxy ACKed what the restarted control plane sends it now (the last writes
  // included, whether they arrived one by one or merged into one update after a reconnect).
  const convergeStart = Date.now();
  let converged = false;
  let cpView;
  while (!converged && Date.now() - convergeStart < 60_000) {
    try {
      cpView = await (await fetch(`http://127.0.0.1:${ports.http}/status`)).json();
      const p = cpView.proxies[0];
      converged =
        !!p &&
        p.ackedVersion === p.sentVersion &&
        p.ackedVersion === (await stats()).chain.version &&
        cpView.extensions.length === 3 &&
        cpView.extensions.every((e) => e.state === 'Serving' && e.proxies[0]?.acked);
    } catch {
      /* the control plane is still starting */
    }
    if (!converged) await sleep(250);
  }
  const after = await stats();
  const rssAfter = rssKiB(proxy.child.pid);

  // 6. Figures.
  const num = (re) => {
    const m = re.exec(wrkOut);
    return m ? Number(m[1]) : 0;
  };
  const p99 = /^\s*99%\s+(\S+)/m.exec(wrkOut)?.[1] ?? '?';
  const requests = num(/(\d+) requests in/);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(wrkOut);
  const socketErrors = socket
    ? socket
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b, 0)
    : 0;
  const report = {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? '?',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    command: `node scripts/soak.mjs --duration ${durationS} --connections ${connections} --threads ${threads}${noEvents ? ' --no-events' : ''}`,
    durationS,
    requests,
    requestsPerSecond: num(/Requests\/sec:\s+([\d.]+)/),
    errors: { non2xx, socket: socketErrors },
    latencyP99: p99,
    rssKiB: { before: rssBefore, after: rssAfter },
    chain: {
      versionsSeen: versions.size,
      updates: after.proxy.chainUpdates - before.proxy.chainUpdates,
      rejections: after.proxy.chainRejections - before.proxy.chainRejections,
      final: after.chain.filters.map((f) => f.name),
      convergedWithControlPlane: converged,
      convergedSecondsAfterLoad: converged ? Math.round((Date.now() - convergeStart) / 100) / 10 : null,
    },
    proxyCounters: {
      traps: after.proxy.traps,
      resets: after.proxy.resets,
      upstreamFailures: after.proxy.upstreamFailures,
    },
    events,
  };
  const ok =
    requests > 0 &&
    non2xx === 0 &&
    socketErrors === 0 &&
    converged &&
    report.chain.rejections === 0 &&
    report.chain.final.length === 3;
  if (json) process.stdout.write(`${JSON.stringify({ ok, ...report }, null, 2)}\n`);
  else
    process.stdout.write(
      [
        `soak ${ok ? 'passed' : 'FAILED'}: ${requests} requests in ${durationS} s (${report.requestsPerSecond}/s), ${connections} connections`,
        `  errors: ${non2xx} non-2xx, ${socketErrors} socket errors`,
        `  p99 latency: ${p99}`,
        `  proxy RSS: ${rssBefore} KiB before, ${rssAfter} KiB after`,
        `  chain: ${report.chain.updates} updates applied, ${report.chain.rejections} rejected, ${versions.size} versions seen; final ${report.chain.final.join(' -> ')}`,
        `  converged with the control plane (last writes ACKed): ${converged ? `yes, ${report.chain.convergedSecondsAfterLoad} s after the load ended` : 'NO'}`,
        ...events.map((e) => `  t=${e.atS}s ${e.what}`),
      ].join('\n') + '\n',
    );
  await stop(cp, 'SIGTERM');
  await stop(proxy, 'SIGTERM');
  upstream.close();
  upstream.closeAllConnections();
  cleanup();
  process.exit(ok ? 0 : 1);
} catch (err) {
  log(err.stack ?? String(err));
  cleanup();
  process.exit(2);
}
