import type { RequestSpec } from '../host-sim/exchange.js';
import { Host } from '../host-sim/host.js';
import type { ClusterTarget } from '../host-sim/http-upstream.js';
import type { Plugin, PluginOptions } from '../host-sim/plugin.js';
import type { VmOptions } from '../host-sim/vm.js';
import { SyncDriver } from './driver.js';

/** A module under measurement: its bytes and how to load and configure it. */
export interface Subject {
  label: string;
  bytes: Uint8Array;
  vmOpts: VmOptions;
  pluginOpts: PluginOptions;
}

/** What every subject of one run shares: the simulated proxy's clusters and properties. */
export interface HostSetup {
  clusters?: Record<string, ClusterTarget>;
  properties?: Record<string, unknown>;
}

/** A fresh host with the subject loaded and its plugin started, logging at Envoy's default level. */
export function boot(subject: Subject, setup: HostSetup, vmOpts: VmOptions = {}): { host: Host; plugin: Plugin } {
  const host = new Host({ captureLogs: false, clusters: setup.clusters, properties: setup.properties });
  const vm = host.loadVm(subject.bytes, { ...subject.vmOpts, ...vmOpts });
  // Envoy's default log level (info): filters that log at debug/trace pay only the level check.
  vm.logLevel = 2;
  const plugin = host.startPlugin(vm, subject.pluginOpts);
  return { host, plugin };
}

/**
 * Metered units per request (module/meter.ts: function entries, loop iterations and returns the
 * guest ran), on a metered VM of its own. Call loadMeter() first. The count is work, not time:
 * the same on a busy machine as on a quiet one, for a filter whose work does not depend on time.
 */
export function meteredUnitsPerRequest(
  subject: Subject,
  setup: HostSetup,
  requests: RequestSpec[],
  warmup: number,
  sample: number,
): number {
  // Deadlines out of the way: this pass counts units, a busy machine must not fail it.
  const { host, plugin } = boot(subject, setup, {
    limits: { startDeadlineMs: 3_600_000, callbackDeadlineMs: 3_600_000 },
  });
  const driver = new SyncDriver(host, [plugin], requests);
  driver.run(warmup);
  const u0 = plugin.vm.meteredUnits() ?? 0;
  driver.run(sample);
  return Math.round((((plugin.vm.meteredUnits() ?? 0) - u0) / sample) * 10) / 10;
}
