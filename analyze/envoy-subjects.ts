import { dirname, isAbsolute, resolve } from 'node:path';
import { finding, type Finding } from './finding.js';
import type { InputDoc } from './inputs.js';
import { subjectLabel, type Subject } from './subject.js';

/** The typed configs that carry a envoy.extensions.wasm.v3.PluginConfig under `config`. */
const WASM_FILTER_TYPES = [
  'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
  'type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm',
];
/** Runtimes Envoy knows; official builds ship v8 (others need a custom build). */
const KNOWN_RUNTIMES = [
  'envoy.wasm.runtime.v8',
  'envoy.wasm.runtime.wamr',
  'envoy.wasm.runtime.wasmtime',
  'envoy.wasm.runtime.wavm',
];

type Obj = Record<string, any>;

/** Every wasm filter config anywhere in a document: a bootstrap, a listener, an ECDS resource. */
function findWasmConfigs(node: unknown, found: { typed: Obj; name?: string }[], name?: string): void {
  if (Array.isArray(node)) {
    for (const n of node) findWasmConfigs(n, found, name);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Obj;
  const here = typeof o.name === 'string' ? o.name : name;
  if (WASM_FILTER_TYPES.includes(o['@type'])) {
    found.push({ typed: o, name: here });
    return;
  }
  for (const v of Object.values(o)) findWasmConfigs(v, found, here);
}

/** True when the document holds at least one Envoy wasm filter config. */
export function isEnvoyWasmDoc(d: InputDoc): boolean {
  const found: { typed: Obj; name?: string }[] = [];
  findWasmConfigs(d.doc, found);
  return found.length > 0;
}

/** google.protobuf.Any as JSON: StringValue/BytesValue carry `value`, Struct is the JSON itself. */
function anyBytes(any: Obj | undefined): Uint8Array | undefined {
  if (!any) return undefined;
  const t = String(any['@type'] ?? '');
  if (t.endsWith('google.protobuf.StringValue')) return new TextEncoder().encode(String(any.value ?? ''));
  if (t.endsWith('google.protobuf.BytesValue')) return new Uint8Array(Buffer.from(String(any.value ?? ''), 'base64'));
  if (t.endsWith('google.protobuf.Struct')) return new TextEncoder().encode(JSON.stringify(any.value ?? {}));
  return new TextEncoder().encode(JSON.stringify(any.value ?? {}));
}

/**
 * Envoy wasm filter configs (--envoy) as Subjects. Local filenames are resolved against the
 * config file's directory (Envoy resolves them against its working directory; analyze has
 * none to go by). Problems with the config itself come back as findings.
 */
export function envoySubjects(docs: InputDoc[]): { subjects: Subject[]; findings: Finding[] } {
  const subjects: Subject[] = [];
  const findings: Finding[] = [];
  for (const d of docs) {
    const found: { typed: Obj; name?: string }[] = [];
    findWasmConfigs(d.doc, found);
    for (const [i, f] of found.entries()) {
      const cfg: Obj = f.typed.config ?? {};
      const name = cfg.name || f.name || `wasm filter ${i + 1}`;
      const vm: Obj = cfg.vm_config ?? cfg.vmConfig ?? {};
      const code: Obj = vm.code ?? {};
      const local: Obj | undefined = code.local;
      const remote: Obj | undefined = code.remote;
      const s: Subject = {
        kind: 'EnvoyWasm',
        namespace: '',
        name,
        label: subjectLabel('EnvoyWasm', '', name),
        origin: d.where,
        url: '',
        sha256: String(remote?.sha256 ?? ''),
        configuration: anyBytes(cfg.configuration) ?? new Uint8Array(0),
        rootId: String(cfg.root_id ?? cfg.rootId ?? ''),
        pluginName: String(cfg.name ?? name),
        env: { ...(vm.environment_variables?.key_values ?? {}) },
        hostEnv: [...(vm.environment_variables?.host_env_keys ?? [])],
        vmConfiguration: anyBytes(vm.configuration),
        targetRefs: [],
        runtime: vm.runtime,
        failStrategy: cfg.fail_open ? 'FAIL_OPEN' : 'FAIL_CLOSE',
      };
      const runtime = String(vm.runtime ?? '');
      if (!runtime) {
        findings.push(finding('MW0501', s, 'vm_config.runtime is empty; Envoy needs one, e.g. envoy.wasm.runtime.v8'));
        continue;
      }
      if (runtime === 'envoy.wasm.runtime.null') {
        findings.push(
          finding(
            'MW0501',
            s,
            'vm_config.runtime is envoy.wasm.runtime.null, which runs filters compiled into Envoy, not a .wasm module; use envoy.wasm.runtime.v8',
          ),
        );
        continue;
      }
      if (!KNOWN_RUNTIMES.includes(runtime)) {
        findings.push(
          finding(
            'MW0501',
            s,
            `vm_config.runtime "${runtime}" is not a runtime Envoy knows (${KNOWN_RUNTIMES.join(', ')})`,
          ),
        );
        continue;
      }
      if (local?.filename) {
        s.url = isAbsolute(local.filename) ? local.filename : resolve(dirname(d.origin), local.filename);
      } else if (remote?.http_uri?.uri) {
        s.url = String(remote.http_uri.uri);
        if (!s.sha256) {
          findings.push(
            finding(
              'MW0502',
              s,
              `vm_config.code.remote (${s.url}) has no sha256; Envoy rejects remote code without one`,
            ),
          );
          continue;
        }
      } else if (local?.inline_bytes || local?.inline_string) {
        findings.push(
          finding(
            'MW0501',
            s,
            'the module is inline in the config (inline_bytes/inline_string); analyze checks modules given by filename or remote http_uri',
          ),
        );
        continue;
      } else {
        findings.push(
          finding('MW0501', s, 'vm_config.code names no module: set local.filename or remote.http_uri with sha256'),
        );
        continue;
      }
      subjects.push(s);
    }
  }
  return { subjects, findings };
}
