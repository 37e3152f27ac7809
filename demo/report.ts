import type { DemoReport } from './run-demo.js';

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

/** The demo's text output: short enough to read at a glance, every value from the run. */
export function formatDemoReport(r: DemoReport): string {
  const lines: string[] = [];
  lines.push('meshwasm demo: build -> push -> attach -> control plane -> proxy, on this machine', '');
  lines.push(`  built     ${r.filters.map((f) => `${f.name} (${kib(f.sizeBytes)})`).join(', ')}`);
  lines.push(`  pushed    to ${r.store}`);
  for (const f of r.filters) lines.push(`              ${f.reference}@sha256:${short(f.manifestDigest)}…`);
  lines.push(
    `  signed    ${r.signing.signed} filters with a key made for this run (${r.signing.keyId.slice(0, 12)}…); the control plane serves namespace ${r.signing.enforcedIn} only what verifies: ${r.signing.verified}/${r.signing.signed} verified`,
  );
  lines.push(`  attached  ${r.manifests.length} WasmPlugin manifests (selector ${'app=shop'})`);
  lines.push(`  serving   ECDS ${r.controlPlane.xds}, status ${r.controlPlane.http}/status`);
  lines.push(`  proxy     ${r.proxy.url}, chain ${r.chain.filters.join(' -> ')}`);
  lines.push(`            routes on ${r.proxy.routeHeader}: ${Object.keys(r.proxy.sides).join(' | ')}`);
  lines.push('', 'requests through the proxy');
  const w = Math.max(...r.requests.map((q) => `${q.method} ${q.path}`.length));
  for (const q of r.requests) {
    const what = `${q.method} ${q.path}`.padEnd(w);
    const where = q.side ? `-> ${q.side}`.padEnd(10) : (q.body ? `"${q.body.trim().slice(0, 30)}"` : '').padEnd(10);
    lines.push(`  ${q.status}  ${what}  ${where}  ${q.title}`);
  }
  const metrics = Object.entries(r.metrics);
  if (metrics.length) {
    lines.push('', 'filter counters (telemetry, authz)');
    for (const [k, v] of metrics) lines.push(`  ${k} = ${v}`);
  }
  lines.push('', 'control plane status');
  for (const e of r.extensions) {
    lines.push(
      `  ${e.name.padEnd(16)} ${e.state.padEnd(8)} sha256:${short(e.digest)}…  acked by ${e.proxiesAcked} prox${e.proxiesAcked === 1 ? 'y' : 'ies'}${e.error ? `  error: ${e.error}` : ''}`,
    );
  }
  lines.push(
    '',
    r.kept
      ? `stopped cleanly; files kept in ${r.workDir}`
      : 'stopped cleanly (pass --keep to keep the store, manifests and cache)',
  );
  return lines.join('\n');
}
