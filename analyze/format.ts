import type { AnalyzeReport } from './analyze.js';

/** istioctl-analyze-like text: one line per finding, its fix indented below. */
export function formatText(r: AnalyzeReport): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`${f.code} ${f.severity} (${f.subject}) ${f.message}`);
    // Figures (MW0311) have nothing to fix; a "fix:" line there would be noise.
    if (f.code !== 'MW0311') lines.push(`    fix: ${f.fix}`);
  }
  const { Error: e, Warning: w, Info: i } = r.counts;
  lines.push(
    r.findings.length === 0
      ? `no findings: ${r.checked.length} extension(s) checked against Istio ${r.istioVersion}`
      : `${e} error(s), ${w} warning(s), ${i} info: ${r.checked.length} extension(s) checked against Istio ${r.istioVersion}`,
  );
  return lines.join('\n');
}
