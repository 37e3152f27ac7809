import type { CredentialSource } from '../registry/index.js';
import { collectClusterObjects, type ClusterObjects } from './cluster-objects.js';
import { credentialSource, type CredentialSpec } from './credentials.js';
import { checkDigests } from './digest-checks.js';
import { envoyGatewaySubjects } from './eg-subjects.js';
import { envoySubjects } from './envoy-subjects.js';
import { fetchModule } from './fetch-module.js';
import { finding, type Finding } from './finding.js';
import { parseText, type InputDoc } from './inputs.js';
import { extensionSubject, isExtensionDoc } from './istio-subjects.js';
import {
  checkPhasePriority,
  checkPullSecret,
  checkTargets,
  DEFAULT_ROOT_NAMESPACE,
  pullSecretConfig,
} from './mesh-checks.js';
import { SEVERITY_RANK, type Severity } from './messages.js';
import { checkModuleStatically } from './module-checks.js';
import {
  DEFAULT_ISTIO_VERSION,
  kindSince,
  parseIstioVersion,
  servesKind,
  type IstioVersion,
} from './proxy-versions.js';
import { schemaProblem } from './schema.js';
import { checkSignatures, type SignaturePolicy } from './signature-checks.js';
import { checkStartup, DEFAULT_LIMITS, type StartupLimits } from './startup-checks.js';
import type { Subject } from './subject.js';

export interface AnalyzeOptions {
  /** Target Istio version, "1.24". Default DEFAULT_ISTIO_VERSION. */
  istioVersion?: string;
  /** Also check Envoy wasm filter configs found in the input. Default false. */
  envoy?: boolean;
  /** Registry credentials, tried before the pull secret and the docker config. */
  credentials?: CredentialSpec[];
  /** Plain HTTP to every registry (default: only loopback ones). */
  plainHttp?: boolean;
  /** Istio's root namespace. Default istio-system. */
  rootNamespace?: string;
  limits?: Partial<StartupLimits>;
  /** Check selectors/targetRefs against workloads in the input (MW0003/MW0404). Default true; attach turns it off. */
  workloadChecks?: boolean;
  /** Check signatures against this policy (MW06xx, analyze/signature-checks.ts). Default none. */
  signaturePolicy?: SignaturePolicy;
}

export interface AnalyzeReport {
  istioVersion: string;
  /** Subjects checked, by label. */
  checked: string[];
  findings: Finding[];
  counts: Record<Severity, number>;
}

/** Analyzes already-parsed documents (a manifest file's, a directory's, or what attach emits). */
export async function analyzeDocuments(docs: InputDoc[], opts: AnalyzeOptions = {}): Promise<AnalyzeReport> {
  const target = parseIstioVersion(opts.istioVersion ?? DEFAULT_ISTIO_VERSION);
  const rootNs = opts.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const findings: Finding[] = [];
  const subjects: Subject[] = [];
  for (const d of docs.filter(isExtensionDoc)) {
    const label = `${d.doc.kind} ${d.doc.metadata?.namespace || 'default'}/${d.doc.metadata?.name ?? '(unnamed)'}`;
    const problem = schemaProblem(d);
    if (problem) {
      findings.push(finding('MW0001', { label, origin: d.where }, problem.message, { field: problem.field }));
      continue;
    }
    subjects.push(extensionSubject(d));
  }
  // Envoy Gateway's policies are always read: they are extension manifests like Istio's.
  const eg = envoyGatewaySubjects(docs);
  subjects.push(...eg.subjects);
  findings.push(...eg.findings);
  if (opts.envoy) {
    const env = envoySubjects(docs);
    subjects.push(...env.subjects);
    findings.push(...env.findings);
  }
  const objects = collectClusterObjects(docs);
  findings.push(...(await analyzeSubjects(subjects, objects, target, opts, rootNs)));
  return report(
    target,
    subjects.map((s) => s.label),
    findings,
  );
}

export async function analyzeSubjects(
  subjects: Subject[],
  objects: ClusterObjects,
  target: IstioVersion,
  opts: AnalyzeOptions,
  rootNs: string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const limits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
  for (const s of subjects) {
    if (s.kind !== 'EnvoyWasm' && s.kind !== 'EnvoyExtensionPolicy' && !servesKind(target, s.kind)) {
      findings.push(
        finding(
          'MW0002',
          s,
          `${s.kind} needs Istio ${kindSince(s.kind)} or later; the target is Istio ${target.text}`,
          { istioVersion: target.text },
        ),
      );
    }
    findings.push(...checkPullSecret(s, objects));
    findings.push(...(await checkModule(s, objects, target, opts, limits)));
    if (opts.signaturePolicy) findings.push(...(await checkSignatures(s, objects, opts, opts.signaturePolicy)));
  }
  findings.push(...checkPhasePriority(subjects, rootNs));
  const hasWorkloads = objects.workloads.length + objects.targets.length > 0;
  const istioSubjects = subjects.filter((s) => s.kind === 'WasmPlugin' || s.kind === 'TrafficExtension');
  if (opts.workloadChecks === false) {
    /* the caller has no workloads by design (attach) */
  } else if (hasWorkloads) for (const s of istioSubjects) findings.push(...checkTargets(s, objects, rootNs));
  else if (istioSubjects.length > 0) {
    findings.push(
      finding(
        'MW0003',
        { label: 'analyze' },
        `no Deployments, Pods, Services or Gateways in the input, so the selectors and targetRefs of ${istioSubjects.length} extension(s) were not checked`,
      ),
    );
  }
  return findings;
}

async function checkModule(
  s: Subject,
  objects: ClusterObjects,
  target: IstioVersion,
  opts: AnalyzeOptions,
  limits: StartupLimits,
): Promise<Finding[]> {
  const credentials: CredentialSource = credentialSource(opts.credentials ?? [], pullSecretConfig(s, objects));
  const fetched = await fetchModule(s, { credentials, plainHttp: opts.plainHttp });
  const out = [...fetched.findings, ...checkDigests(s, fetched)];
  if (!fetched.module) return out;
  const stat = checkModuleStatically(s, fetched.module, target);
  out.push(...stat.findings);
  // Running a module Envoy would refuse to load tells nothing more and may trap confusingly.
  if (stat.findings.some((f) => f.severity === 'Error')) return out;
  out.push(...(await checkStartup(s, fetched.module, fetched.image?.rootIds, limits)));
  return out;
}

export function report(target: IstioVersion, checked: string[], all: Finding[]): AnalyzeReport {
  const findings = uniqueFindings(all);
  const counts: Record<Severity, number> = { Info: 0, Warning: 0, Error: 0 };
  for (const f of findings) counts[f.severity]++;
  return { istioVersion: target.text, checked: [...new Set(checked)], findings, counts };
}

/**
 * Each finding once: two extensions pulling the same module, or a file reached twice, must not
 * list the same problem of the same subject twice.
 */
export function uniqueFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify([f.code, f.subject, f.origin ?? '', f.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Findings at or above the threshold: what makes `meshwasm analyze` exit 9. */
export function failing(r: AnalyzeReport, threshold: Severity): Finding[] {
  return r.findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
}

/**
 * For `meshwasm attach`: runs every check on the manifest text it is about to emit (one or
 * more YAML documents), without the workload checks (attach has no workloads to go by).
 * Callers print the findings and decide on failure with failing(report, threshold).
 */
export async function analyzeManifestText(
  text: string,
  origin: string,
  opts: AnalyzeOptions = {},
): Promise<AnalyzeReport> {
  const { docs, problems } = parseText(text, origin);
  const r = await analyzeDocuments(docs, { workloadChecks: false, ...opts });
  for (const p of problems) {
    r.findings.unshift(finding('MW0001', { label: origin, origin }, p.message));
    r.counts.Error++;
  }
  return r;
}
