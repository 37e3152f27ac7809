/** Public surface of the control plane. */
export {
  ControlPlane,
  startControlPlane,
  type ControlPlaneOptions,
  type ExtensionRecord,
  type ExtensionState,
} from './control-plane.js';
export type { StatusReport, ExtensionStatus, ProxyStatus } from './status.js';
export { DirectorySource, type DirectorySourceOptions } from './sources/directory.js';
export type { ExtensionSource, SourceSnapshot, SourceError, ExtensionCondition } from './sources/source.js';
export { parseManifests } from './sources/parse-manifests.js';
export { validateManifest, ManifestError } from './manifest/crd-schema.js';
export {
  EG_API_VERSION,
  EG_KIND,
  envoyExtensionPolicyToExtensions,
  isEnvoyExtensionPolicy,
  validateEnvoyExtensionPolicy,
} from './manifest/envoy-extension-policy.js';
export { normalizeExtension, type Extension, type ExtensionKind, EXTENSION_API_VERSION } from './manifest/extension.js';
export { Resolver, type ResolvedModule, type ResolveRequest } from './resolver/resolver.js';
export { ModuleCache, type ModuleCacheOptions, type CacheEntry } from './resolver/cache.js';
export { HttpModuleSource, FileModuleSource } from './resolver/http-source.js';
export { ResolveError, type ModuleSource, type FetchedModule, type FetchOptions } from './resolver/module-source.js';
export { wasmFilterConfig, MODULE_CLUSTER } from './xds/resources.js';
export const DEFAULT_CONFIG_DIR = '.meshwasm/extensions';
export const DEFAULT_CACHE_DIR = '.meshwasm/cache';
export { OciModuleSource, type RegistryClient } from './resolver/oci-source.js';
export { DirectoryPullSecrets, firstOf, type PullSecretStore } from './resolver/pull-secrets.js';
export const DEFAULT_PULL_SECRETS_DIR = '.meshwasm/pull-secrets';
export { buildExtensionManifest, buildEnvoyFilter, type AttachSpec } from './attach.js';
export { SignatureGate, type SignatureVerifier, type SignatureVerdict } from './resolver/signature-gate.js';
export {
  loadSignaturePolicy,
  trustFor,
  type SignaturePolicy,
  type NamespaceTrust,
} from './resolver/signature-policy.js';
