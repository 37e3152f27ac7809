import { DirectorySource, type ExtensionCondition, type Extension } from '../../control-plane/index.js';

/**
 * A directory source that keeps status, for `meshwasm bench-control-plane --status-source`: the
 * Kubernetes source cannot run here (no API server), so this one stands in for its status writer
 * on the same code path — the control plane calls writeStatus() exactly as it calls the
 * Kubernetes source's, which would send a merge patch to the status subresource. It counts the
 * writes and keeps the last condition per extension, so the benchmark can report writes per
 * change and check the final status.
 */
export class StatusRecordingSource extends DirectorySource {
  writes = 0;
  readonly last = new Map<string, ExtensionCondition>();

  async writeStatus(ext: Extension, condition: ExtensionCondition): Promise<void> {
    this.writes++;
    this.last.set(`${ext.namespace}/${ext.name}`, condition);
    // A patch is a round trip to the API server: the caller must not get the answer synchronously.
    await new Promise((r) => setImmediate(r));
  }
}
