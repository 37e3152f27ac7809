import { WasmResult } from '../abi/constants.js';

interface Queue {
  id: number;
  vmId: string;
  name: string;
  items: Uint8Array[];
  /** The root context that registered the queue is told when items arrive. */
  owner: { notifyQueueReady(queueId: number): void };
}

/** Shared queues keyed by (vm_id, name), as in proxy-wasm-cpp-host. */
export class SharedQueueStore {
  private byId = new Map<number, Queue>();
  private byName = new Map<string, Queue>();
  private nextId = 1;

  register(vmId: string, name: string, owner: Queue['owner']): number {
    const key = `${vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing) {
      existing.owner = owner;
      return existing.id;
    }
    const q: Queue = { id: this.nextId++, vmId, name, items: [], owner };
    this.byId.set(q.id, q);
    this.byName.set(key, q);
    return q.id;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`)?.id;
  }

  enqueue(id: number, value: Uint8Array): WasmResult {
    const q = this.byId.get(id);
    if (!q) return WasmResult.NotFound;
    q.items.push(value);
    q.owner.notifyQueueReady(id);
    return WasmResult.Ok;
  }

  dequeue(id: number): { result: WasmResult; value?: Uint8Array } {
    const q = this.byId.get(id);
    if (!q) return { result: WasmResult.NotFound };
    const value = q.items.shift();
    if (!value) return { result: WasmResult.Empty };
    return { result: WasmResult.Ok, value };
  }

  size(vmId: string, name: string): number {
    return this.byName.get(`${vmId}\0${name}`)?.items.length ?? 0;
  }
}
