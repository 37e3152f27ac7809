import { extensionKey, type Extension } from '../manifest/extension.js';
import type { SourceError } from './source.js';

/** What one read of one origin (a file, a Kubernetes object) produced. */
export interface OriginRead {
  origin: string;
  extensions: Extension[];
  errors: SourceError[];
}

/**
 * Keeps the last valid version of each manifest, per origin. A file caught half-written, or
 * edited into an invalid one (a bad `phase`), must not remove its extension: for an authz filter
 * that would turn 403s into 200s until someone fixes the file. So an origin whose read has errors
 * keeps serving the extensions of its last valid read that the failed read lost, each marked with
 * `manifestError`; only an origin that is gone (file deleted, object deleted) drops them.
 */
export class LastValidManifests {
  private readonly byOrigin = new Map<string, Extension[]>();

  has(origin: string): boolean {
    return (this.byOrigin.get(origin)?.length ?? 0) > 0;
  }

  /** Applies one full read of a source (every origin it has now); returns what to serve. */
  apply(reads: OriginRead[]): Extension[] {
    const present = new Set(reads.map((r) => r.origin));
    for (const origin of [...this.byOrigin.keys()]) if (!present.has(origin)) this.byOrigin.delete(origin);
    const out: Extension[] = [];
    for (const read of reads) {
      if (!read.errors.length) {
        this.byOrigin.set(read.origin, read.extensions);
        out.push(...read.extensions);
        continue;
      }
      const reason = read.errors.map((e) => e.message).join('; ');
      const valid = new Set(read.extensions.map(extensionKey));
      const kept = (this.byOrigin.get(read.origin) ?? []).filter((e) => !valid.has(extensionKey(e)));
      this.byOrigin.set(read.origin, [...read.extensions, ...kept]);
      out.push(...read.extensions, ...kept.map((e) => ({ ...e, manifestError: reason })));
    }
    return out;
  }
}
