import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analyzeDocuments,
  parseText,
  type AnalyzeOptions,
  type AnalyzeReport,
  type Finding,
} from '../../../analyze/index.js';

export { startRegistry, type RunningRegistry } from '../../registry/helpers/docker-registry.js';

/** A WasmPlugin as users write it; `extra` lands in spec. */
export function wasmPlugin(name: string, spec: Record<string, unknown>, namespace = 'default'): string {
  return JSON.stringify({
    apiVersion: 'extensions.istio.io/v1alpha1',
    kind: 'WasmPlugin',
    metadata: { name, namespace },
    spec,
  });
}

/** Analyzes YAML/JSON documents (joined as one multi-document file) the way the CLI does. */
export async function analyzeYaml(docs: string[], opts: AnalyzeOptions = {}): Promise<AnalyzeReport> {
  const { docs: parsed, problems } = parseText(docs.join('\n---\n'), 'test.yaml');
  if (problems.length) throw new Error(problems[0]!.message);
  return analyzeDocuments(parsed, opts);
}

export const codes = (r: AnalyzeReport) => r.findings.map((f) => f.code);
export const only = (r: AnalyzeReport, code: string): Finding => {
  const f = r.findings.filter((x) => x.code === code);
  if (f.length !== 1) throw new Error(`expected one ${code}, got ${f.length}: ${JSON.stringify(r.findings, null, 2)}`);
  return f[0]!;
};

export function tempFile(name: string, content: string | Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshwasm-analyze-'));
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
