import type { BenchReport, ModuleFigures } from './engine.js';
import type { Stat } from './stats.js';

/** The human-readable report of `meshwasm bench -o table`. */

const si = (v: number): string =>
  v >= 1e6
    ? `${(v / 1e6).toFixed(2)}M`
    : v >= 1e3
      ? `${(v / 1e3).toFixed(v >= 1e5 ? 0 : 1)}k`
      : v.toFixed(v < 10 ? 2 : 0);
const num = (v: number, digits = 3): string =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(digits);
const pm = (s: Stat, f: (v: number) => string): string => `${f(s.median)} ±${s.spreadPct.toFixed(0)}%`;
const bytes = (b: number): string =>
  b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`;
const r = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(2));

/** Rows as left-aligned columns two spaces apart (the text reports of bench and bench --compare). */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function memory(m: ModuleFigures['memory']): string {
  return m.leak
    ? `${bytes(m.finalBytes)} GROWING (+${bytes(m.growthBytesPer100k)}/100k req)`
    : `${bytes(m.finalBytes)} flat`;
}

export function formatTable(rep: BenchReport): string {
  const f = rep.filter;
  const b = rep.baseline;
  const out: string[] = [];
  const s = rep.settings;
  out.push(`meshwasm bench ${f.label}`);
  out.push(
    `${s.runs} runs x ${s.requestsPerRun} requests after ${s.warmupRequests} warm-up; ` +
      `${rep.machine.cpuModel}, ${rep.machine.cpus} cpus, node ${rep.machine.node}`,
  );
  out.push('');
  out.push(
    table([
      ['', 'filter', 'baseline', 'ratio'],
      [
        'requests/s per core',
        pm(f.requestsPerSecPerCore, si),
        pm(b.requestsPerSecPerCore, si),
        r(rep.ratios.requestsPerSecPerCore),
      ],
      [
        'us per request',
        pm(f.usPerRequest, num),
        pm(b.usPerRequest, num),
        `${r(rep.ratios.usPerRequest)} (+${num(Math.max(0, rep.addedUsPerRequest))} us)`,
      ],
      [
        'latency us p50/p99/p99.9',
        `${num(f.latencyUs.p50)}/${num(f.latencyUs.p99)}/${num(f.latencyUs.p999)}`,
        `${num(b.latencyUs.p50)}/${num(b.latencyUs.p99)}/${num(b.latencyUs.p999)}`,
        '',
      ],
      ['instantiate ms', pm(f.instantiateMs, num), pm(b.instantiateMs, num), r(rep.ratios.instantiateMs)],
      ['configure ms', pm(f.configureMs, num), pm(b.configureMs, num), r(rep.ratios.configureMs)],
      ['module size', bytes(f.sizeBytes), bytes(b.sizeBytes), r(rep.ratios.sizeBytes)],
      ['host calls per request', num(f.hostCalls.perRequest), num(b.hostCalls.perRequest), ''],
      ['metered units per request', num(f.meteredUnitsPerRequest), num(b.meteredUnitsPerRequest), ''],
      [
        'guest allocations per request',
        num(f.hostCalls.guestAllocationsPerRequest),
        num(b.hostCalls.guestAllocationsPerRequest),
        '',
      ],
      [`linear memory after ${si(f.memory.requests)} req`, memory(f.memory), memory(b.memory), ''],
    ]),
  );
  if (f.outcome.localReplies || f.outcome.stalled) {
    out.push(
      `note: ${f.outcome.localReplies} of ${f.outcome.requests} requests were answered locally, ${f.outcome.stalled} stalled`,
    );
  }
  out.push('');
  // The parts add up to the per-request time of the per-callback pass (engine.ts, callbackPass).
  const cp = f.callbackPass;
  out.push('callbacks, in call order (exclusive time, clock overhead subtracted)');
  out.push(
    table([
      ['', 'calls/request', 'us/call', 'us/request'],
      ...f.callbacks.map((c) => [`  ${c.name}`, num(c.perRequest), num(c.usPerCall), num(c.perRequest * c.usPerCall)]),
      ...(cp.deferredPerRequest > 0
        ? [
            [
              '  host: deferred (local reply, resume)',
              num(cp.deferredPerRequest),
              num(cp.deferredUsPerRequest / cp.deferredPerRequest),
              num(cp.deferredUsPerRequest),
            ],
          ]
        : []),
      ['  host: stream set-up, headers, filter manager', '', '', num(cp.hostUsPerRequest)],
      ['  = per request in this pass', '', '', num(cp.usPerRequest)],
    ]),
  );
  const hc = Object.entries(f.hostCalls.byFunction);
  if (hc.length) {
    out.push('');
    out.push('host calls per request');
    out.push(table(hc.map(([name, n]) => [`  ${name}`, num(n)])));
  }
  const rt = rep.roundTrip;
  out.push('');
  out.push(
    `host-call overhead: ${rt.hostFunction} ${num(rt.hostNsPerCall.median)} ns vs bare JS->wasm->JS ${num(rt.bareNsPerCall.median)} ns = ${rt.ratio}x`,
  );
  out.push('');
  // The filter's own checks first; the machine checks say whether the figures are worth reading.
  for (const about of ['filter', 'machine'] as const) {
    const rows = rep.targets.filter((t) => t.about === about);
    if (rows.length === 0) continue;
    out.push(
      about === 'filter' ? 'filter checks' : 'machine checks (the host simulator on this machine, not your filter)',
    );
    out.push(table(rows.map((t) => [t.met ? '  ok  ' : '  MISS', t.name, t.target, t.value])));
  }
  if (rep.proxy) {
    out.push('');
    out.push(
      `through a real proxy (${rep.proxy.tool}, ${rep.proxy.connections} connections, ${rep.proxy.durationSec}s each)`,
    );
    out.push(
      table([
        ['', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors'],
        ...rep.proxy.setups.map((p) => [
          `  ${p.name}`,
          si(p.requestsPerSec),
          num(p.latencyMs.p50),
          num(p.latencyMs.p90),
          num(p.latencyMs.p99),
          String(p.errors),
        ]),
      ]),
    );
  }
  return out.join('\n');
}
