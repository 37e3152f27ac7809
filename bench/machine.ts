import { availableParallelism, cpus } from 'node:os';

/** What a benchmark report says about where it ran: figures only compare on the same kind. */
export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  node: string;
  platform: string;
  arch: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}
