import type { Extension } from './manifest/extension.js';
import type { ResolvedModule } from './resolver/resolver.js';
import type { ServedResource } from './xds/ecds-server.js';

export type ExtensionState = 'Pending' | 'Serving' | 'ServingPrevious' | 'Fallback' | 'Unsupported';

/** What the control plane knows about one extension. */
export interface ExtensionRecord {
  ext: Extension;
  state: ExtensionState;
  /** The module currently distributed (possibly an older one after a failed update). */
  resolved?: ResolvedModule;
  /** The extension spec the served resource was built from. */
  servedExt?: Extension;
  served?: ServedResource;
  error?: string;
  /** Who signed the served module, when a signature policy covers its namespace. */
  signedBy?: string;
  /** Spec fields that decide what is fetched and served; a change triggers a new resolution. */
  signature: string;
}
