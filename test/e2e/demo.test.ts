// `meshwasm demo` end to end: the shipped filters built with the SDK builder, pushed to the
// on-disk OCI layout (and to a real docker-registry with --registry), attached, served over ECDS,
// real requests through the proxy. Every value asserted comes from the run.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FILTERS, REQUESTS } from '../../demo/plan.js';
import { formatDemoReport } from '../../demo/report.js';
import { runDemo, type DemoReport } from '../../demo/run-demo.js';
import { startRegistry } from '../registry/helpers/docker-registry.js';

function expectTheLoopWorked(r: DemoReport, filterCount: number): void {
  expect(r.chain.filters).toHaveLength(filterCount);
  expect(r.extensions).toHaveLength(filterCount);
  for (const e of r.extensions) expect(e).toMatchObject({ state: 'Serving', proxiesAcked: 1 });
  // Every filter was signed with the run's key, and the control plane served it because it verified.
  expect(r.signing).toMatchObject({ signed: filterCount, verified: filterCount, enforcedIn: 'demo' });
  for (const e of r.extensions) expect(e.signedBy).toBe(`key ${r.signing.keyId.slice(0, 16)}`);
  expect(existsSync(r.workDir)).toBe(false);
}

describe('meshwasm demo', () => {
  it('runs the whole loop with the shipped filters: authz denies and allows, telemetry counts, routing picks a side', async () => {
    const r = await runDemo();
    expectTheLoopWorked(r, FILTERS.length);
    const byTitle = (needle: string) => r.requests.find((q) => q.title.includes(needle))!;
    expect(r.requests).toHaveLength(REQUESTS.length);
    expect(byTitle('private page').status).toBe(403);
    expect(byTitle('private page').side).toBeUndefined();
    expect(byTitle('public page')).toMatchObject({ status: 200, side: 'stable' });
    expect(byTitle('routed to stable')).toMatchObject({ status: 200, side: 'stable' });
    expect(byTitle('beta user')).toMatchObject({ status: 200, side: 'canary' });
    // telemetry counted every request, the one authz denied included (its on_log runs too)
    const counted = Object.entries(r.metrics)
      .filter(([k]) => k.endsWith('requests_total'))
      .reduce((n, [, v]) => n + v, 0);
    expect(counted).toBe(REQUESTS.length);
    const text = formatDemoReport(r);
    expect(text).toContain('403');
    expect(text).toContain('-> canary');
    expect(text).toContain(`serves namespace demo only what verifies: ${FILTERS.length}/${FILTERS.length} verified`);
  }, 300_000);

  it('--registry pushes to a real docker-registry and the control plane pulls from it', async () => {
    const reg = await startRegistry();
    try {
      const r = await runDemo({ registry: reg.host, filters: [FILTERS[0]!] });
      expectTheLoopWorked(r, 1);
      expect(r.filters[0]!.reference).toBe(`${reg.host}/meshwasm-demo/authz:v1`);
      expect(r.requests.find((q) => q.title.includes('private page'))!.status).toBe(403);
      expect(r.requests.find((q) => q.title.includes('public page'))!.status).toBe(200);
    } finally {
      await reg.stop();
    }
  }, 300_000);
});
