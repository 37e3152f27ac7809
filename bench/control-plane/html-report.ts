import type { FanoutReport, FanoutResult, Latency } from './fanout.js';

/**
 * `bench-control-plane --html report.html`: one self-contained page (inline SVG, no scripts):
 * p99 time until every proxy ACKed, per N on log-log axes, with the targets as dashed lines.
 */
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
const p99 = (ls: Latency[]) => median(ls.map((l) => l.p99Ms));

const SERIES: { name: string; color: string; value: (r: FanoutResult) => number; targetMs: number }[] = [
  { name: 'config change p99', color: '#1c7ed6', value: (r) => p99(r.config), targetMs: 1000 },
  { name: 'module change p99', color: '#d9480f', value: (r) => p99(r.module), targetMs: 3000 },
  { name: 'reconnect storm, all served', color: '#2b8a3e', value: (r) => r.reconnect.maxMs, targetMs: 10000 },
];

function chart(results: FanoutResult[]): string {
  const W = 760,
    H = 340,
    L = 64,
    R = 16,
    T = 20,
    B = 48;
  const ns = results.map((r) => r.proxies);
  const ys = results.flatMap((r) => SERIES.map((s) => s.value(r))).filter((v) => v > 0 && Number.isFinite(v));
  if (!ys.length) return '<p>No results.</p>';
  const xlo = Math.log10(Math.min(...ns)),
    xhi = Math.log10(Math.max(...ns));
  const ylo = Math.floor(Math.log10(Math.min(...ys, 10))),
    yhi = Math.ceil(Math.log10(Math.max(...ys, 10_000)));
  const x = (n: number) => L + ((Math.log10(n) - xlo) / Math.max(xhi - xlo, 1e-9)) * (W - L - R);
  const y = (ms: number) => T + (1 - (Math.log10(ms) - ylo) / Math.max(yhi - ylo, 1e-9)) * (H - T - B);
  const parts: string[] = [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`,
  ];
  for (const n of ns)
    parts.push(`<text x="${x(n)}" y="${H - B + 18}" text-anchor="middle">${n.toLocaleString('en')}</text>`);
  for (let d = ylo; d <= yhi; d++)
    parts.push(
      `<line x1="${L}" y1="${y(10 ** d)}" x2="${W - R}" y2="${y(10 ** d)}" stroke="#eee"/><text x="${L - 6}" y="${y(10 ** d) + 4}" text-anchor="end">${10 ** d} ms</text>`,
    );
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">proxies (log scale)</text>`);
  SERIES.forEach((s, i) => {
    const pts = results.map((r) => `${x(r.proxies).toFixed(1)},${y(Math.max(s.value(r), 10 ** ylo)).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    parts.push(
      `<line x1="${L}" y1="${y(s.targetMs)}" x2="${W - R}" y2="${y(s.targetMs)}" stroke="${s.color}" stroke-dasharray="5,4"/>`,
    );
    parts.push(
      `<rect x="${L + 12}" y="${T + 6 + i * 18}" width="12" height="12" fill="${s.color}"/><text x="${L + 30}" y="${T + 16 + i * 18}">${esc(s.name)} (dashed: target ${s.targetMs / 1000} s)</text>`,
    );
  });
  return `<svg width="${W}" height="${H}" font-family="sans-serif" font-size="12">${parts.join('')}</svg>`;
}

export function fanoutHtml(report: FanoutReport): string {
  const rows = report.results
    .map(
      (r) =>
        `<tr><td>${r.proxies}</td><td>${p99(r.config).toFixed(0)}</td><td>${p99(r.module).toFixed(0)}</td><td>${r.reconnect.maxMs.toFixed(0)}</td><td>${(r.memory.rssBytesPerProxy / 1024).toFixed(1)}</td><td>${median(r.config.map((l) => l.cpuUsPerProxy)).toFixed(1)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>meshwasm bench-control-plane</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style>
<h1>Control-plane fan-out</h1>
<p>${esc(report.machine.cpus)}, Node ${esc(report.machine.node)}, load ${report.machine.load.map((l) => l.toFixed(2)).join(' ')}; ${report.options.clients} client processes${report.options.statusSource ? ', status-keeping source' : ''}.</p>
${chart(report.results)}
<table><tr><th>proxies</th><th>config p99 ms</th><th>module p99 ms</th><th>reconnect ms</th><th>KB RSS/proxy</th><th>CPU µs/proxy/push</th></tr>${rows}</table>
`;
}
