import type { EventEmitter } from 'node:events';
import type { Extension } from '../manifest/extension.js';

/** A problem with one manifest, reported in status (the rest of the source still serves). */
export interface SourceError {
  origin: string;
  message: string;
  field?: string;
}

export interface SourceSnapshot {
  extensions: Extension[];
  errors: SourceError[];
}

/** Per-extension outcome a source may write back (Kubernetes: the status subresource). */
export interface ExtensionCondition {
  ready: boolean;
  reason: string;
  message: string;
}

/** A source of extension manifests. Emits 'change' when its snapshot changes. */
export interface ExtensionSource extends EventEmitter {
  readonly name: string;
  start(): Promise<void>;
  snapshot(): SourceSnapshot;
  writeStatus?(ext: Extension, condition: ExtensionCondition): Promise<void>;
  close(): Promise<void>;
}
