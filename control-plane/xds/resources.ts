import { createHash } from 'node:crypto';
import {
  RBAC_HTTP_FILTER,
  STRING_VALUE,
  TYPED_EXTENSION_CONFIG,
  WASM_HTTP_FILTER,
  WASM_NETWORK_FILTER,
  type AnyMessage,
  type EnvoyProtos,
} from '../../envoy-api/protos.js';
import type { Extension } from '../manifest/extension.js';

/** The cluster name proxies use for the control plane's module server (Envoy Gateway does the same). */
export const MODULE_CLUSTER = 'meshwasm-control-plane';

/**
 * The Envoy HTTP filter config (envoy.extensions.filters.http.wasm.v3.Wasm) for an extension
 * whose module is downloadable at `moduleUri` with sha256 `moduleSha256`. The plugin
 * configuration travels as a StringValue holding JSON, as Istio sends it.
 */
export function wasmFilterConfig(ext: Extension, moduleUri: string, moduleSha256: string): Record<string, unknown> {
  const inline = Object.fromEntries(ext.env.filter((e) => e.valueFrom !== 'HOST').map((e) => [e.name, e.value ?? '']));
  const host = ext.env.filter((e) => e.valueFrom === 'HOST').map((e) => e.name);
  return {
    config: {
      name: ext.resourceName,
      rootId: ext.pluginName,
      vmConfig: {
        vmId: ext.resourceName,
        runtime: 'envoy.wasm.runtime.v8',
        code: {
          remote: {
            httpUri: { uri: moduleUri, cluster: MODULE_CLUSTER, timeout: { seconds: '30' } },
            sha256: moduleSha256,
          },
        },
        ...(ext.env.length ? { environmentVariables: { keyValues: inline, hostEnvKeys: host } } : {}),
      },
      ...(ext.pluginConfig !== undefined
        ? { configuration: { '@type': `type.googleapis.com/${STRING_VALUE}`, value: JSON.stringify(ext.pluginConfig) } }
        : {}),
      // This Envoy API version has only fail_open; FAIL_RELOAD (newer Envoy's failure_policy) maps to closed.
      failOpen: ext.failStrategy === 'FAIL_OPEN',
    },
  };
}

export interface BuiltResource {
  name: string;
  /** The TypedExtensionConfig packed in an Any, as it goes into DiscoveryResponse.resources. */
  resource: AnyMessage;
  /** Content hash: changes whenever anything the proxy receives changes. */
  version: string;
}

function pack(protos: EnvoyProtos, name: string, typeName: string, config: Record<string, unknown>): BuiltResource {
  const typedConfig = protos.packAny(typeName, packNested(protos, config));
  const resource = protos.packAny(TYPED_EXTENSION_CONFIG, { name, typedConfig });
  return { name, resource, version: createHash('sha256').update(resource.value).digest('hex').slice(0, 16) };
}

/** Replaces {'@type', value} placeholders (StringValue) with packed Anys before encoding. */
function packNested(protos: EnvoyProtos, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && '@type' in v) {
      const typeName = String((v as Record<string, unknown>)['@type'])
        .split('/')
        .pop()!;
      const { '@type': _drop, ...fields } = v as Record<string, unknown>;
      out[k] = protos.packAny(typeName, fields);
    } else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
      out[k] = packNested(protos, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

export function wasmResource(
  protos: EnvoyProtos,
  ext: Extension,
  moduleUri: string,
  moduleSha256: string,
): BuiltResource {
  // Both filters carry the same PluginConfig in field `config`; the type tells the proxy which chain it belongs to.
  const typeName = ext.type === 'NETWORK' ? WASM_NETWORK_FILTER : WASM_HTTP_FILTER;
  return pack(protos, ext.resourceName, typeName, wasmFilterConfig(ext, moduleUri, moduleSha256));
}

/**
 * Istio's fallback when a module cannot be fetched: an RBAC filter in the Wasm filter's place.
 * No rules lets every request through (FAIL_OPEN); rules with no policy deny every request.
 */
export function fallbackResource(protos: EnvoyProtos, ext: Extension): BuiltResource {
  const config =
    ext.failStrategy === 'FAIL_OPEN'
      ? { rulesStatPrefix: 'wasm-default-allow' }
      : { rules: { action: 'ALLOW', policies: {} }, rulesStatPrefix: 'wasm-default-deny' };
  return pack(protos, ext.resourceName, RBAC_HTTP_FILTER, config);
}
