import type { BenchReport, LatencyFigures, ModuleFigures } from './engine.js';
import { inCallOrder } from './instrument.js';

/**
 * `--html report.html`: one self-contained page (inline SVG and CSS, no scripts, no external
 * assets) for people who would rather look than read.
 */

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3));

const COLORS = { filter: '#d9480f', baseline: '#1c7ed6' };

/**
 * Width of a 12px system-ui label, overestimated per character (digits and lower case are about
 * 6.5px), so labels placed apart by this estimate do not touch. test/bench/html-report checks the
 * SVGs with the same figure.
 */
export const CHAR_PX = 7;
const LINE_PX = 14;

/**
 * Rows for short labels anchored at x positions (the p50/p99 markers): each label goes in the
 * first row where it does not reach the previous label, so markers that are close (a filter that
 * costs little more than the baseline) get stacked labels instead of overprinted ones.
 */
function placeLabels(labels: { x: number; text: string }[], right: number): { x: number; row: number }[] {
  const rowEnds: number[] = [];
  const order = labels.map((l, i) => ({ ...l, i })).sort((a, b) => a.x - b.x);
  const out: { x: number; row: number }[] = new Array(labels.length);
  for (const l of order) {
    const w = l.text.length * CHAR_PX;
    // Right of the marker, or left of it when it would leave the chart.
    const start = l.x + 3 + w > right ? l.x - 3 - w : l.x + 3;
    let row = rowEnds.findIndex((end) => end + 4 <= start);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = start + w;
    out[l.i] = { x: start, row };
  }
  return out;
}

/** Latency distribution of both modules on one log-scaled x axis, as share of requests per bucket. */
function latencyChart(series: { name: string; color: string; lat: LatencyFigures }[]): string {
  const W = 760,
    L = 56,
    R = 16,
    B = 44,
    PLOT_H = 236;
  const all = series.flatMap((s) => s.lat.histogram);
  if (all.length === 0) return '<p>No latency samples.</p>';
  const lo = Math.log10(Math.min(...all.map((b) => b.upToUs)));
  const hi = Math.log10(Math.max(...all.map((b) => b.upToUs)));
  const x = (us: number) => L + ((Math.log10(us) - lo) / Math.max(hi - lo, 1e-9)) * (W - L - R);
  // Bands from the top: the legend (one line per series), the marker labels (as many lines as
  // placeLabels needs), then the plot; nothing is drawn over the plot but lines.
  const legendTop = 4;
  const markers = series.flatMap((s) =>
    (
      [
        ['p50', s.lat.p50],
        ['p99', s.lat.p99],
      ] as const
    )
      .filter(([, v]) => v > 0)
      .map(([text, v]) => ({ text, color: s.color, px: x(Math.max(v, 10 ** lo)) })),
  );
  const placed = placeLabels(
    markers.map((m) => ({ x: m.px, text: m.text })),
    W - R,
  );
  const markerRows = Math.max(0, ...placed.map((p) => p.row + 1));
  const markerTop = legendTop + series.length * 18 + 4;
  const T = markerTop + markerRows * LINE_PX + 6;
  const H = T + PLOT_H + B;
  const share = (s: LatencyFigures, c: number) => (s.samples ? c / s.samples : 0);
  const maxShare = Math.max(...series.flatMap((s) => s.lat.histogram.map((b) => share(s.lat, b.count))), 1e-9);
  const y = (v: number) => T + (1 - v / maxShare) * (H - T - B);
  const parts: string[] = [];
  // Axes, decade ticks and share gridlines.
  parts.push(
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`,
  );
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
    const px = x(10 ** d);
    parts.push(
      `<line x1="${px}" y1="${H - B}" x2="${px}" y2="${H - B + 5}" stroke="#444"/><text x="${px}" y="${H - B + 18}" text-anchor="middle">${fmt(10 ** d)}</text>`,
    );
  }
  for (const f of [0.25, 0.5, 0.75, 1]) {
    const py = y(maxShare * f);
    parts.push(
      `<line x1="${L}" y1="${py}" x2="${W - R}" y2="${py}" stroke="#eee"/><text x="${L - 6}" y="${py + 4}" text-anchor="end">${(maxShare * f * 100).toFixed(1)}%</text>`,
    );
  }
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">latency per request, µs (log scale)</text>`,
  );
  for (const s of series) {
    const pts = s.lat.histogram.map((b) => `${x(b.upToUs).toFixed(1)},${y(share(s.lat, b.count)).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
  }
  markers.forEach((m, i) => {
    const p = placed[i]!;
    const ty = markerTop + (p.row + 1) * LINE_PX - 3;
    parts.push(
      `<line x1="${m.px.toFixed(1)}" y1="${ty + 3}" x2="${m.px.toFixed(1)}" y2="${H - B}" stroke="${m.color}" stroke-dasharray="4 3"/>` +
        `<text x="${p.x.toFixed(1)}" y="${ty}" fill="${m.color}">${m.text}</text>`,
    );
  });
  const legend = series.map(
    (s, i) =>
      `<rect x="${L}" y="${legendTop + i * 18}" width="12" height="12" fill="${s.color}"/><text x="${L + 18}" y="${legendTop + 10 + i * 18}">${esc(s.name)}</text>`,
  );
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency distribution">${legend.join('')}${parts.join('')}</svg>`;
}

/** Horizontal bars: one row per label, one bar per series. */
function barChart(
  title: string,
  unit: string,
  rows: { label: string; values: { name: string; color: string; v: number }[] }[],
): string {
  const W = 760,
    L = 230,
    R = 110,
    rowH = 16;
  const max = Math.max(...rows.flatMap((r) => r.values.map((v) => v.v)), 1e-9);
  let yPos = 24;
  const parts: string[] = [`<text x="0" y="14" font-weight="bold">${esc(title)}</text>`];
  for (const r of rows) {
    // A label longer than the margin is cut (the full one is its tooltip), never drawn over the bars.
    const room = Math.floor((L - 12) / CHAR_PX);
    const shown = r.label.length > room ? `${r.label.slice(0, room - 1)}…` : r.label;
    parts.push(
      `<text x="${L - 8}" y="${yPos + (rowH * r.values.length) / 2 + 4}" text-anchor="end">${esc(shown)}<title>${esc(r.label)}</title></text>`,
    );
    for (const v of r.values) {
      const w = (v.v / max) * (W - L - R);
      parts.push(
        `<rect x="${L}" y="${yPos}" width="${w.toFixed(1)}" height="${rowH - 3}" fill="${v.color}"><title>${esc(v.name)}</title></rect>` +
          `<text x="${L + w + 4}" y="${yPos + rowH - 5}">${fmt(v.v)} ${unit}</text>`,
      );
      yPos += rowH;
    }
    yPos += 6;
  }
  return `<svg viewBox="0 0 ${W} ${yPos}" width="${W}" height="${yPos}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg>`;
}

function figuresRow(name: string, m: ModuleFigures): string {
  return (
    `<tr><th>${esc(name)}</th><td>${Math.round(m.requestsPerSecPerCore.median).toLocaleString('en')} ±${m.requestsPerSecPerCore.spreadPct.toFixed(0)}%</td>` +
    `<td>${fmt(m.usPerRequest.median)}</td><td>${fmt(m.latencyUs.p50)} / ${fmt(m.latencyUs.p99)} / ${fmt(m.latencyUs.p999)}</td>` +
    `<td>${fmt(m.hostCalls.perRequest)}</td><td>${fmt(m.instantiateMs.median)} + ${fmt(m.configureMs.median)}</td><td>${m.sizeBytes.toLocaleString('en')}</td>` +
    `<td>${m.memory.leak ? `<b class="bad">growing ${m.memory.growthBytesPer100k} B/100k</b>` : 'flat'}</td></tr>`
  );
}

export function renderHtml(rep: BenchReport): string {
  const f = rep.filter,
    b = rep.baseline;
  // Envoy's call order (context create ... on_delete), whichever module called what first.
  const callbackNames = inCallOrder(
    [...new Set([...f.callbacks, ...b.callbacks].map((c) => c.name))].map((name) => ({ name })),
  ).map((c) => c.name);
  const us = (m: ModuleFigures, n: string) => m.callbacks.find((c) => c.name === n)?.usPerCall ?? 0;
  const sections: string[] = [];
  sections.push(
    `<h2>Latency distribution (in-process)</h2>` +
      latencyChart([
        { name: `filter: ${f.label}`, color: COLORS.filter, lat: f.latencyUs },
        { name: 'baseline: empty pass-through', color: COLORS.baseline, lat: b.latencyUs },
      ]),
  );
  sections.push(
    barChart('Time per callback, in call order (µs per call), and the host around them (µs per request)', 'µs', [
      ...callbackNames.map((n) => ({
        label: n,
        values: [
          { name: 'filter', color: COLORS.filter, v: us(f, n) },
          { name: 'baseline', color: COLORS.baseline, v: us(b, n) },
        ],
      })),
      {
        label: 'host: deferred (local reply)',
        values: [
          { name: 'filter', color: COLORS.filter, v: f.callbackPass.deferredUsPerRequest },
          { name: 'baseline', color: COLORS.baseline, v: b.callbackPass.deferredUsPerRequest },
        ],
      },
      {
        label: 'host: set-up, filter manager',
        values: [
          { name: 'filter', color: COLORS.filter, v: Math.max(0, f.callbackPass.hostUsPerRequest) },
          { name: 'baseline', color: COLORS.baseline, v: Math.max(0, b.callbackPass.hostUsPerRequest) },
        ],
      },
    ]),
  );
  const hc = Object.entries(f.hostCalls.byFunction);
  if (hc.length) {
    sections.push(
      barChart(
        'Host calls per request (filter)',
        '',
        hc.map(([n, v]) => ({ label: n, values: [{ name: 'filter', color: COLORS.filter, v }] })),
      ),
    );
  }
  if (rep.proxy) {
    const p = rep.proxy;
    sections.push(
      `<h2>Through a real proxy (${esc(p.tool)}, ${p.connections} connections, ${p.durationSec}s each)</h2>` +
        barChart(
          'Requests per second',
          'req/s',
          p.setups.map((s) => ({
            label: s.name,
            values: [{ name: s.name, color: COLORS.baseline, v: s.requestsPerSec }],
          })),
        ) +
        barChart(
          'Latency percentiles',
          'ms',
          p.setups.flatMap((s) => [
            { label: `${s.name} p50`, values: [{ name: 'p50', color: COLORS.baseline, v: s.latencyMs.p50 }] },
            { label: `${s.name} p99`, values: [{ name: 'p99', color: COLORS.filter, v: s.latencyMs.p99 }] },
          ]),
        ),
    );
  }
  const checks = (about: 'filter' | 'machine') =>
    rep.targets
      .filter((t) => t.about === about)
      .map(
        (t) =>
          `<li class="${t.met ? 'ok' : 'bad'}" data-about="${about}">${t.met ? '✓' : '✗'} ${esc(t.name)}: ${esc(t.value)} (target ${esc(t.target)})</li>`,
      )
      .join('');
  const targets =
    `<h3>Filter checks</h3><ul>${checks('filter')}</ul>` +
    `<h3>Machine checks <small>(the host simulator on this machine, not your filter)</small></h3><ul>${checks('machine')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>meshwasm bench: ${esc(f.label)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:820px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{text-align:left}
svg{display:block;margin:1em 0;font:12px system-ui,sans-serif}.bad{color:#c92a2a}.ok{color:#2b8a3e}small{color:#666}
</style></head><body>
<h1>meshwasm bench</h1>
<p><b>${esc(f.label)}</b> against an empty pass-through module, same run.<br>
<small>${rep.settings.runs} runs × ${rep.settings.requestsPerRun.toLocaleString('en')} requests after ${rep.settings.warmupRequests.toLocaleString('en')} warm-up ·
${esc(rep.machine.cpuModel)}, ${rep.machine.cpus} CPUs · Node ${esc(rep.machine.node)}</small></p>
<table><tr><th></th><th>req/s per core</th><th>µs/request</th><th>p50 / p99 / p99.9 µs</th><th>host calls/req</th><th>start-up ms (instantiate + configure)</th><th>bytes</th><th>memory</th></tr>
${figuresRow('filter', f)}${figuresRow('baseline', b)}</table>
<p>The filter adds ${fmt(Math.max(0, rep.addedUsPerRequest))} µs per request (${rep.ratios.usPerRequest ?? '-'}× the baseline).
A host call costs ${fmt(rep.roundTrip.hostNsPerCall.median)} ns against ${fmt(rep.roundTrip.bareNsPerCall.median)} ns for a bare JS→wasm→JS round trip (${rep.roundTrip.ratio}×).</p>
${targets}
${sections.join('\n')}
</body></html>
`;
}
