/**
 * registry/: an OCI distribution client, the wasm image formats Istio and Envoy Gateway load,
 * and an OCI image-layout store on disk. This file is the whole public surface.
 */
export { RegistryError, type RegistryErrorKind } from './errors.js';
export {
  parseReference,
  defaultStoreRoot,
  pinnedString,
  referenceString,
  repositoryString,
  type Reference,
  type RemoteReference,
  type LayoutReference,
} from './reference.js';
export { pushModule, type PushOptions, type PushResult } from './push.js';
export { pullModule, resolveDigest, type PullOptions, type PulledModule } from './pull.js';
export { inspectImage, type ImageInfo } from './inspect.js';
export { examineImage, type ImageExamination } from './examine.js';
export { login, logout, type LoginOptions } from './login.js';
export { openTarget, staticCredentials, type TargetOptions } from './open-target.js';
export { copyImage, type CopyReport } from './copy.js';
export { inspectWasmModule, type WasmModuleInfo } from './formats/wasm-module.js';
export { MediaType, Annotation } from './media-types.js';
export { DockerConfig, dockerConfigPath, credentialsFromDockerConfigJson } from './auth/docker-config.js';
export type { Credentials, CredentialSource } from './auth/credentials.js';
export type { ClientOptions } from './client/repository-client.js';
export type { Descriptor, ImageManifest } from './content/descriptor.js';
export type { Target, Fetcher, Pusher, Resolver, Tagger, CopyHooks } from './content/target.js';
export { OciLayoutStore } from './layout/oci-layout-store.js';
export { RemoteRepository } from './client/remote-repository.js';
export { sha256Digest, sha256Hex } from './digest.js';
export { defaultDeadlineMs } from './client/deadline.js';
