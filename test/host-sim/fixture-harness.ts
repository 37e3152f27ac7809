// Shared by the host-sim suites: builds a fixture and loads it into the harness, the way a
// filter author's own tests would load their module.
import { createHarness, type Harness, type HarnessOptions } from '../../host-sim/harness/index.js';
import { compileFixture } from '../fixtures/compile.js';

export async function fixtureHarness(fixture: string, opts: Omit<HarnessOptions, 'module'> = {}): Promise<Harness> {
  return createHarness({ label: fixture, ...opts, module: await compileFixture(fixture) });
}

/** A GET request for `path` with the pseudo-headers Envoy always has, plus `extra`. */
export function get(path: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ':method': 'GET', ':path': path, ':authority': 'example.com', ':scheme': 'http', ...extra };
}

/** A POST request for `path` (the body is given separately to h.request). */
export function post(path: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...get(path, extra), ':method': 'POST' };
}

/** Log messages only, in order. */
export function messages(logs: { message: string }[]): string[] {
  return logs.map((l) => l.message);
}
