import { beforeAll, describe, expect, it } from 'vitest';
import { type BenchReport, runBenchmark } from '../../bench/engine.js';
import { CHAR_PX, renderHtml } from '../../bench/html-report.js';
import { CALLBACK_ORDER } from '../../bench/instrument.js';
import { formatTable } from '../../bench/table.js';
import { fixture, wat2wasm } from './wat.js';

// One benchmark of a filter that denies every request (a local reply from request headers, as
// authz's deny does), shared by the tests; small counts, no figure that depends on speed asserted.
let rep: BenchReport;
beforeAll(async () => {
  rep = await runBenchmark({
    module: wat2wasm(fixture('deny.wat')),
    label: 'deny',
    runs: 2,
    requestsPerRun: 2000,
    warmupRequests: 500,
    sampleRequests: 500,
    roundTripCalls: 10_000,
  });
}, 60_000);

/** Every <text> of every <svg>, with the box it covers (12px font, CHAR_PX per character). */
function textBoxes(html: string): { svg: number; text: string; x0: number; x1: number; y0: number; y1: number }[] {
  const out: { svg: number; text: string; x0: number; x1: number; y0: number; y1: number }[] = [];
  [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].forEach((m, svg) => {
    for (const t of m[0].matchAll(/<text x="([\d.-]+)" y="([\d.-]+)"([^>]*)>([^<]*)/g)) {
      const x = Number(t[1]);
      const y = Number(t[2]);
      const label = t[4]!.replace(/&[a-z]+;/g, '&');
      const w = label.length * CHAR_PX;
      const anchor = /text-anchor="(\w+)"/.exec(t[3]!)?.[1] ?? 'start';
      const x0 = anchor === 'end' ? x - w : anchor === 'middle' ? x - w / 2 : x;
      out.push({ svg, text: label, x0, x1: x0 + w, y0: y - 11, y1: y + 2 });
    }
  });
  return out;
}

function overlaps(html: string): string[] {
  const boxes = textBoxes(html);
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (a.svg === b.svg && a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1)
        found.push(`"${a.text}" and "${b.text}" in svg ${a.svg}`);
    }
  return found;
}

describe('bench report consistency (issue 16)', () => {
  it("every request answered locally: callbacks in call order, the reply counted as the host's, parts adding up", () => {
    const f = rep.filter;
    expect(f.outcome.localReplies).toBe(f.outcome.requests);
    expect(f.outcome.reachedUpstream).toBe(0);
    expect(f.callbacks.map((c) => c.name)).toEqual([
      'proxy_on_context_create',
      'proxy_on_request_headers',
      'proxy_on_response_headers',
      'proxy_on_log',
      'proxy_on_done',
      'proxy_on_delete',
    ]);
    for (const c of f.callbacks) expect(c.perRequest).toBe(1);
    // The local reply ran after request headers returned, once per request: the host's time.
    expect(f.callbackPass.deferredPerRequest).toBe(1);
    expect(rep.baseline.callbackPass.deferredPerRequest).toBe(0);
    for (const m of [f, rep.baseline]) {
      const p = m.callbackPass;
      const sum = m.callbacks.reduce((s, c) => s + c.perRequest * c.usPerCall, 0);
      expect(p.callbacksUsPerRequest).toBeCloseTo(sum, 2);
      expect(p.callbacksUsPerRequest + p.deferredUsPerRequest + p.hostUsPerRequest).toBeCloseTo(p.usPerRequest, 2);
    }
    const text = formatTable(rep);
    expect(text).toContain('host: deferred (local reply, resume)');
    expect(text).toContain('= per request in this pass');
  });

  it("the pass-through and round-trip targets are machine checks, apart from the filter's (text, JSON, HTML)", () => {
    expect(rep.targets.map((t) => t.about)).toEqual(['machine', 'machine', 'filter']);
    for (const t of rep.targets.filter((x) => x.about === 'machine')) expect(t.name).toMatch(/^machine check: /);
    expect(rep.targets.find((t) => t.name.includes('pass-through'))?.name).toContain('not your filter');
    const text = formatTable(rep);
    expect(text.indexOf('filter checks')).toBeGreaterThan(0);
    expect(text.indexOf('machine checks (the host simulator on this machine, not your filter)')).toBeGreaterThan(
      text.indexOf('filter checks'),
    );
    const html = renderHtml(rep);
    const machine = html.slice(html.indexOf('<h3>Machine checks'));
    expect(machine).toContain('data-about="machine"');
    expect(machine).toContain('pass-through');
    expect(html.slice(html.indexOf('<h3>Filter checks'), html.indexOf('<h3>Machine checks'))).not.toContain(
      'pass-through',
    );
  });

  it('HTML: the callback chart lists callbacks in call order, and no two labels overlap', () => {
    const html = renderHtml(rep);
    const chart = /<svg[^>]*aria-label="Time per callback[\s\S]*?<\/svg>/.exec(html)![0];
    const labels = [...chart.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]!);
    const callbacks = labels.filter((l) => l.startsWith('proxy_on_'));
    expect(callbacks.length).toBeGreaterThanOrEqual(6);
    const ranks = callbacks.map((c) => CALLBACK_ORDER.indexOf(c));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(labels.slice(-2)).toEqual(['host: deferred (local reply)', 'host: set-up, filter manager']);
    expect(overlaps(html)).toEqual([]);
  });

  it('HTML: p50/p99 markers at the same place (filter as fast as the baseline) get labels on separate lines', () => {
    const same: BenchReport = { ...rep, filter: { ...rep.filter, latencyUs: rep.baseline.latencyUs } };
    const html = renderHtml(same);
    const latency = /<svg[^>]*aria-label="latency distribution"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(latency.match(/>p50</g)).toHaveLength(2);
    expect(overlaps(html)).toEqual([]);
    // A label longer than the bar chart's margin is cut, the full name kept as its tooltip.
    const long = 'wasi_snapshot_preview1.a_host_function_with_a_very_long_name';
    const withLong: BenchReport = {
      ...rep,
      filter: { ...rep.filter, hostCalls: { ...rep.filter.hostCalls, byFunction: { [long]: 1, short: 2 } } },
    };
    const html2 = renderHtml(withLong);
    expect(html2).toContain(`<title>${long}</title>`);
    expect(overlaps(html2)).toEqual([]);
  });
});
