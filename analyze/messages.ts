/**
 * The catalogue of analyze findings. Codes are stable: CI pipelines filter on them and
 * docs/analyze.md has one entry per code. The families follow what is checked:
 * MW00xx manifests and targets, MW01xx image layout, MW02xx digests and pinning,
 * MW03xx the module and its start-up, MW04xx mesh-wide configuration, MW05xx Envoy configs,
 * MW06xx signatures under a signature policy (--policy).
 */
export type Severity = 'Info' | 'Warning' | 'Error';

export const SEVERITY_RANK: Record<Severity, number> = { Info: 0, Warning: 1, Error: 2 };

export interface MessageDef {
  severity: Severity;
  summary: string;
  fix: string;
}

export const MESSAGES = {
  MW0001: {
    severity: 'Error',
    summary: 'manifest does not match the CRD schema',
    fix: 'correct the field named in the message; "kubectl apply" would refuse this document',
  },
  MW0002: {
    severity: 'Error',
    summary: 'kind is not served by the target Istio version',
    fix: 'use WasmPlugin for Istio before 1.30 (TrafficExtension needs 1.30+), or raise --istio-version to what the mesh runs',
  },
  MW0003: {
    severity: 'Info',
    summary: 'selector and targetRefs were not checked: no workloads given',
    fix: 'analyze a directory that also holds the Deployments, Pods, Services or Gateways the extensions should apply to',
  },

  MW0004: {
    severity: 'Warning',
    summary: 'an input holds no extension manifest',
    fix: 'check the path: pass the file or directory with the WasmPlugin, TrafficExtension (or, with --envoy, Envoy wasm config) to analyze',
  },

  MW0101: {
    severity: 'Error',
    summary: "image layout is rejected by Istio's fetcher",
    fix: 'push the module again with "meshwasm push" (wasm variant or compat layout); a plain single-layer push is not loadable by Istio or Envoy Gateway',
  },
  MW0102: {
    severity: 'Error',
    summary: 'image could not be fetched',
    fix: 'check the url, that the tag exists, and the credentials (--registry-credentials, or "meshwasm login"); the proxy would fail the same way',
  },
  MW0103: {
    severity: 'Error',
    summary: 'module layer does not hold a loadable module',
    fix: 'the compat layout needs a tar+gzip layer with plugin.wasm at its root; push the .wasm again with "meshwasm push"',
  },

  MW0201: {
    severity: 'Error',
    summary: "sha256 holds the module's hash where the manifest digest is wanted",
    fix: 'for an oci:// url, set sha256 to the manifest digest (hex, without "sha256:"); the module\'s hash is only right for http(s) urls',
  },
  MW0202: {
    severity: 'Error',
    summary: 'sha256 does not match what the url serves',
    fix: 'set sha256 to the value the message gives, or point the url at the image you meant; the proxy refuses a module whose checksum differs',
  },
  MW0203: {
    severity: 'Error',
    summary: 'url pins a digest that differs from sha256',
    fix: 'make the @sha256: digest in the url and the sha256 field the same manifest digest, or drop one of them',
  },
  MW0204: {
    severity: 'Warning',
    summary: 'url uses :latest or no tag, with no digest',
    fix: 'pin the image: add @sha256:<manifest digest> to the url or set sha256; with :latest Istio pulls on every change (pull policy Always) and proxies may run different modules',
  },

  MW0301: {
    severity: 'Error',
    summary: 'not a loadable proxy-wasm module',
    fix: 'build the module with a proxy-wasm SDK ("meshwasm build" for AssemblyScript) and push the .wasm it writes',
  },
  MW0302: {
    severity: 'Error',
    summary: 'module imports host functions Envoy does not provide',
    fix: 'remove the calls (or the SDK feature) that need these imports; Envoy fails the module at load time',
  },
  MW0303: {
    severity: 'Error',
    summary: 'ABI version not spoken by the target proxy',
    fix: 'rebuild with an SDK targeting an ABI version the proxy speaks, or target a newer Istio with --istio-version',
  },
  MW0304: {
    severity: 'Warning',
    summary: 'module targets the legacy proxy-wasm ABI 0.1.0',
    fix: 'rebuild against ABI 0.2.1 (current SDKs); 0.1.0 is frozen at Istio 1.5 and some enum values changed after it',
  },
  MW0305: {
    severity: 'Error',
    summary: 'module fails to instantiate or start',
    fix: 'run "meshwasm run" on the module to see the trap; the proxy fails the VM the same way',
  },
  MW0306: {
    severity: 'Error',
    summary: 'proxy_on_vm_start returned false',
    fix: "read the filter's log line in the message; fix vmConfig (env) or the module's start-up",
  },
  MW0307: {
    severity: 'Error',
    summary: 'proxy_on_configure refused the plugin configuration',
    fix: "correct pluginConfig to what the filter's log line asks for; Envoy rejects the plugin and, with FAIL_CLOSE, the traffic",
  },
  MW0308: {
    severity: 'Error',
    summary: 'module trapped while the plugin started',
    fix: 'run "meshwasm run" with the same config to reproduce; a trap in start-up fails the plugin in every proxy',
  },
  MW0309: {
    severity: 'Error',
    summary: 'root id is not registered by the module',
    fix: 'set pluginName (the root id) to one of the ids the module registers, or register this one in the module',
  },
  MW0310: {
    severity: 'Info',
    summary: 'root id could not be confirmed',
    fix: 'nothing to do if the module serves a single root context; otherwise check pluginName against the ids the module registers',
  },
  MW0311: { severity: 'Info', summary: 'module size and start-up time', fix: 'none; figures for reference' },
  MW0312: {
    severity: 'Warning',
    summary: 'module is larger than the size limit',
    fix: 'strip debug sections and build in release mode; every worker thread of every proxy holds a copy',
  },
  MW0313: {
    severity: 'Warning',
    summary: 'module start-up is slower than the limit',
    fix: 'move work out of _initialize/on_vm_start/on_configure; proxies run start-up once per worker thread and on every config change',
  },
  MW0314: {
    severity: 'Error',
    summary: 'module trapped outside a request (timer, queue, callout response)',
    fix: 'run "meshwasm run" with advanceMs in the scenario to reproduce; Envoy fails the whole VM on such a trap, so every later request meets the failure policy',
  },
  MW0315: {
    severity: 'Error',
    summary: 'a callback ran past its execution deadline',
    fix: 'find the loop that does not end in the named callback ("meshwasm run" reproduces it); Envoy would freeze the worker thread, meshwasm proxy stops the call and fails the VM',
  },

  MW0401: {
    severity: 'Warning',
    summary: 'two extensions share phase and priority on the same workloads',
    fix: 'give each extension in a phase a distinct priority; with equal priority their order in the filter chain is not defined by the API',
  },
  MW0402: {
    severity: 'Error',
    summary: "imagePullSecret is not in the extension's namespace",
    fix: 'create the pull secret in the same namespace as the extension; Istio reads pull secrets only from there',
  },
  MW0403: {
    severity: 'Warning',
    summary: 'imagePullSecret not found or not a docker config secret',
    fix: "create a Secret of type kubernetes.io/dockerconfigjson with that name in the extension's namespace",
  },
  MW0404: {
    severity: 'Warning',
    summary: 'selector or targetRefs match no workload',
    fix: 'correct the labels or target names; an extension that matches nothing is silently not applied',
  },

  MW0501: {
    severity: 'Error',
    summary: 'Envoy wasm filter config cannot be used',
    fix: 'give vm_config a code source (local filename or remote http_uri with sha256) and a runtime Envoy ships (envoy.wasm.runtime.v8)',
  },
  MW0502: {
    severity: 'Error',
    summary: 'remote code source has no sha256',
    fix: 'set vm_config.code.remote.sha256 to the sha256 of the .wasm; Envoy requires it for remote code',
  },

  MW0601: {
    severity: 'Error',
    summary: 'module is unsigned, and the signature policy covers its namespace',
    fix: 'sign the pushed image ("meshwasm sign REF --key KEY", or push with --sign); a control plane enforcing this policy will not serve it',
  },
  MW0602: {
    severity: 'Error',
    summary: 'module is signed, but no signature verifies under the policy',
    fix: 'sign with a key or identity the policy lists for this namespace, or add the signer to the policy; a control plane enforcing it will not serve the module',
  },
  MW0603: {
    severity: 'Error',
    summary: 'the signature policy covers the namespace, but the url cannot carry signatures',
    fix: 'push the module to an OCI registry ("meshwasm push --sign") and use an oci:// url; only OCI images carry signatures',
  },
  MW0604: {
    severity: 'Info',
    summary: 'module signature verified',
    fix: 'none; the signer is named for reference',
  },
} as const satisfies Record<string, MessageDef>;

export type MessageCode = keyof typeof MESSAGES;

export function messageDef(code: MessageCode): MessageDef {
  return MESSAGES[code];
}
