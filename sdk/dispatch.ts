// What every set of exports shares: the table of live contexts and the lookups that route a
// callback to the author's context object. Not module exports itself: see exports.ts and
// http_exports.ts.
import * as host from "./hostcalls";
import { BaseContext, ContextKind, HttpContext, RootContext, RootContextFactory, StreamContext, rootFactories, rootIds } from "./context";
import { fromUtf8 } from "./memory";
import { formatInt } from "./decimal";
import { IdTable } from "./id_table";
import { join } from "./join";

/** Every live context by id; `kind` says which class it is. */
export const contexts = new IdTable();

// Which factory serves a new root context: the host names the plugin's root_id in the
// `plugin_root_id` property (as the C++ SDK asks); a module with a single registration serves
// every root_id, as the Rust and Go SDKs do.
function factoryFor(rootId: string): RootContextFactory {
  const i = rootIds.indexOf(rootId);
  if (i >= 0) return rootFactories[i];
  if (rootIds.length == 1) return rootFactories[0];
  if (rootIds.length == 0) {
    abort("no root context registered: call registerRootContext(...) at the top level of assembly/index.ts");
  }
  abort("no root context registered for root_id \"" + rootId + "\" (registered: \"" + join(rootIds, "\", \"") + "\")");
  return rootFactories[0];
}

/** Makes and registers the root context for a new plugin (proxy_on_context_create, parent 0). */
export function createRootContext(contextId: u32): void {
  const idBytes = host.getDottedProperty("plugin_root_id");
  const rootId = idBytes === null ? "" : fromUtf8(idBytes);
  const root = factoryFor(rootId)(contextId);
  root.rootId = rootId;
  contexts.set(contextId, root);
}

export function contextOf(id: u32): BaseContext {
  const c = changetype<BaseContext | null>(contexts.get(id));
  if (c === null) abort("unknown context id " + formatInt(id));
  return changetype<BaseContext>(c);
}

// The kind check makes the unchecked changetype downcasts below safe.
function ofKind(id: u32, kind: ContextKind): BaseContext {
  const c = contextOf(id);
  if (c.kind != kind) abort("context " + formatInt(id) + " is not a " + (kind == ContextKind.Root ? "root" : kind == ContextKind.Http ? "http" : "stream") + " context");
  return c;
}

export function rootOf(id: u32): RootContext { return changetype<RootContext>(ofKind(id, ContextKind.Root)); }
export function httpOf(id: u32): HttpContext { return changetype<HttpContext>(ofKind(id, ContextKind.Http)); }
export function streamOf(id: u32): StreamContext { return changetype<StreamContext>(ofKind(id, ContextKind.Stream)); }

