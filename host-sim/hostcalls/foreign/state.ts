import { WasmResult } from '../../abi/constants.js';
import type { ProxyContext } from '../../context.js';
import { parseExt } from './messages.js';
import type { ForeignResult } from './types.js';

/**
 * Envoy's "declare_property", "set_envoy_filter_state" and "clear_route_cache"
 * (source/extensions/common/wasm/foreign.cc, Context::declareProperty / setEnvoyFilterState in
 * context.cc). None of them returns result bytes.
 */

/** Filter-state object factories Envoy registers (StreamInfo::FilterState::ObjectFactory). */
export const ENVOY_FILTER_STATE_FACTORIES: ReadonlySet<string> = new Set([
  'envoy.string',
  'envoy.tcp_proxy.cluster',
  'envoy.network.upstream_server_name',
  'envoy.network.application_protocols',
  'envoy.network.upstream_subject_alt_names',
  'envoy.upstream.dynamic_host',
  'envoy.upstream.dynamic_port',
]);

interface DeclareArgs {
  name: string;
  readonly: boolean;
  type: number;
  schema: Buffer;
  span: number;
}

export function declareProperty(ctx: ProxyContext | undefined, bytes: Uint8Array): ForeignResult {
  const a = parseExt<DeclareArgs>('DeclarePropertyArguments', bytes);
  if (!a || !ctx) return { status: WasmResult.BadArgument };
  return { status: ctx.declareProperty({ name: a.name, readonly: a.readonly, type: a.type, span: a.span }) };
}

export function setEnvoyFilterState(ctx: ProxyContext | undefined, bytes: Uint8Array): ForeignResult {
  const a = parseExt<{ path: string; value: string; span: number }>('SetEnvoyFilterStateArguments', bytes);
  if (!a) return { status: WasmResult.BadArgument };
  // No factory for the key: NotFound, before Envoy even looks for a stream.
  if (!ENVOY_FILTER_STATE_FACTORIES.has(a.path)) return { status: WasmResult.NotFound };
  if (!ctx) return { status: WasmResult.NotFound };
  return { status: ctx.setEnvoyFilterState(a.path, Buffer.from(a.value, 'utf8')) };
}

export function clearRouteCache(ctx: ProxyContext | undefined): ForeignResult {
  ctx?.clearRouteCache();
  return { status: WasmResult.Ok };
}
