import type { CompareReport, CompareSide } from './compare.js';
import { table } from './table.js';

/** The human-readable report of `meshwasm bench --compare`. */

const num = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
const signed = (v: number, unit: string): string => `${v > 0 ? '+' : ''}${num(v)}${unit}`;
const signedPct = (v: number): string => `${v > 0 ? '+' : ''}${v.toFixed(1)}%`;

const row = (name: string, s: CompareSide): string[] => [
  name,
  s.label,
  `${num(s.cpuUsPerRequest.median)} ±${s.cpuUsPerRequest.spreadPct.toFixed(0)}%`,
  `${num(s.usPerRequest.median)} ±${s.usPerRequest.spreadPct.toFixed(0)}%`,
  num(s.meteredUnitsPerRequest),
  String(s.sizeBytes),
];

export function formatCompareTable(rep: CompareReport): string {
  const d = rep.difference;
  const s = rep.settings;
  const out: string[] = [];
  out.push(`meshwasm bench --compare ${rep.a.label} ${rep.b.label}`);
  out.push(
    `${s.runs} runs x ${s.requestsPerRun} requests each, alternating, after ${s.warmupRequests} warm-up` +
      `${s.metered ? ', metered' : ''}; ${rep.machine.cpuModel}, ${rep.machine.cpus} cpus, node ${rep.machine.node}`,
  );
  out.push('');
  out.push(
    table([
      ['', 'module', 'cpu us/request', 'wall us/request', 'metered units/request', 'bytes'],
      row('A', rep.a),
      row('B', rep.b),
      row('base', rep.baseline),
    ]),
  );
  out.push('');
  out.push(
    `B - A, ${d.basis}: ${signed(d.usPerRequest.median, ' us')} per request (per run ${signed(d.usPerRequest.min, '')} .. ${signed(d.usPerRequest.max, '')} us), ` +
      `${signedPct(d.pct)} (B/A per run ${d.ratio.min.toFixed(3)} .. ${d.ratio.max.toFixed(3)}); B slower in ${d.slowerRuns} of ${d.ratio.perRun.length} runs`,
  );
  out.push(
    `(${d.otherClock.basis} B/A per run ${d.otherClock.min.toFixed(3)} .. ${d.otherClock.max.toFixed(3)}, median ${d.otherClock.median.toFixed(3)})`,
  );
  out.push(
    `metered units per request: ${num(d.meteredUnits.a)} -> ${num(d.meteredUnits.b)} ` +
      `(${signed(d.meteredUnits.delta, '')}${d.meteredUnits.pct === null ? '' : `, ${signedPct(d.meteredUnits.pct)}`})`,
  );
  if (rep.outcomesDiffer) {
    out.push(
      `note: A and B ended requests differently (A: ${rep.a.outcome.localReplies} local replies of ${rep.a.outcome.requests}, ` +
        `B: ${rep.b.outcome.localReplies} of ${rep.b.outcome.requests}); they did not do the same work`,
    );
  }
  const v = rep.verdict;
  if (v.time.checked || v.units.checked) {
    out.push('');
    if (v.time.checked) out.push(`${v.time.regressed ? 'REGRESSION' : 'ok        '}  time: ${v.time.reason}`);
    if (v.units.checked) out.push(`${v.units.regressed ? 'REGRESSION' : 'ok        '}  units: ${v.units.reason}`);
  }
  return out.join('\n');
}
