// Data shared between the VMs of one host: a key-value store with compare-and-swap, and queues.
import * as host from "./hostcalls";
import { Status } from "./types";
import { formatInt } from "./decimal";
import { fromUtf8, utf8 } from "./memory";

export { SharedData } from "./hostcalls";

export function getSharedData(key: string): host.SharedData | null { return host.getSharedData(key); }

/** Writes `value`; with cas != 0 only if nobody wrote since the read that returned `cas`. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): Status { return host.setSharedData(key, value, cas); }

export function getSharedString(key: string): string | null {
  const d = host.getSharedData(key);
  return d === null ? null : fromUtf8(d.value);
}

export function setSharedString(key: string, value: string, cas: u32 = 0): Status {
  return host.setSharedData(key, utf8(value), cas);
}

/**
 * Adds `delta` to a decimal counter kept in shared data, retrying on CasMismatch: the usual
 * read-modify-write with compare-and-swap. Returns the new value.
 */
export function incrementSharedCounter(key: string, delta: i64 = 1, maxAttempts: i32 = 16): i64 {
  for (let i = 0; i < maxAttempts; i++) {
    const d = host.getSharedData(key);
    const current: i64 = d === null || d.value.byteLength == 0 ? 0 : I64.parseInt(fromUtf8(d.value));
    const next = current + delta;
    const st = host.setSharedData(key, utf8(formatInt(next)), d === null ? 0 : d.cas);
    if (st == Status.Ok) return next;
    if (st != Status.CasMismatch) break;
  }
  abort("incrementSharedCounter(" + key + "): gave up after repeated CasMismatch");
  return 0;
}

export class SharedQueue {
  constructor(public readonly id: u32) {}
  /** Creates (or opens) a queue owned by this VM; onQueueReady fires on enqueue. */
  static register(name: string): SharedQueue { return new SharedQueue(host.registerSharedQueue(name)); }
  /** Opens another VM's queue; null when it does not exist. */
  static resolve(vmId: string, name: string): SharedQueue | null {
    const id = host.resolveSharedQueue(vmId, name);
    return id == 0 ? null : new SharedQueue(id);
  }
  enqueue(value: ArrayBuffer): Status { return host.enqueueSharedQueue(this.id, value); }
  enqueueString(value: string): Status { return host.enqueueSharedQueue(this.id, utf8(value)); }
  dequeue(): ArrayBuffer | null { return host.dequeueSharedQueue(this.id); }
  dequeueString(): string | null {
    const v = host.dequeueSharedQueue(this.id);
    return v === null ? null : fromUtf8(v);
  }
}
