import type { FailStrategy } from '../host-sim/plugin.js';

/**
 * One HTTP filter the proxy should run, wherever it came from (a local --module, or an ECDS
 * update). A list of these, in order, is a chain.
 */
export type FilterSpec = WasmFilterSpec | RbacFilterSpec;

export interface WasmFilterSpec {
  kind: 'wasm';
  /** Plugin name (Istio: namespace.name); shows in logs and /stats. */
  name: string;
  module: Uint8Array;
  /** The file the module was read from (a local --module): its source map maps a trap's frames. */
  modulePath?: string;
  /** Plugin configuration exactly as proxy_on_configure reads it. */
  configuration?: string | Uint8Array;
  rootId?: string;
  vmId?: string;
  failStrategy?: FailStrategy;
  /** WASI environment (Istio's vmConfig.env). */
  env?: Record<string, string>;
  /** sha256 of the module, when the source knows it (ECDS does); computed otherwise. */
  sha256?: string;
}

/**
 * Istio's fallback when a module cannot be fetched: an RBAC filter that allows everything
 * (fail open) or denies everything (fail closed).
 */
export interface RbacFilterSpec {
  kind: 'rbac';
  name: string;
  action: 'allow-all' | 'deny-all';
}
