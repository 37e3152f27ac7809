import type { LogLevelName } from '../host-sim/abi/constants.js';
import type { Host } from '../host-sim/host.js';
import type { FilterSpec } from './filter-spec.js';
import { filterKey, loadFilter, type LoadedFilter } from './loaded-filter.js';

/** One version of the filter chain. Requests hold the chain they started on until they end. */
export class Chain {
  /** Requests that started on this chain and have not finished. */
  active = 0;
  retired = false;
  constructor(
    readonly version: string,
    readonly filters: LoadedFilter[],
    readonly appliedAt: Date,
  ) {}
}

/**
 * Holds the current chain and swaps it without dropping requests: a new request takes the
 * current chain, an in-flight one finishes on the chain (and the VMs) it started on. A chain
 * that is no longer current is released when its last request ends; a filter is disposed when
 * no live chain lists it. Filters an update leaves unchanged keep their VM (and its state).
 */
export class ChainHolder {
  private chain: Chain;

  constructor(
    private host: Host,
    private logLevel: LogLevelName,
  ) {
    this.chain = new Chain('empty', [], new Date());
  }

  get current(): Chain {
    return this.chain;
  }

  /**
   * Loads every filter of `specs` (reusing unchanged ones) and makes the result current. Throws
   * (and changes nothing) when a module fails to load, traps at start-up or refuses its
   * configuration; the message names the filter.
   */
  apply(specs: FilterSpec[], version: string): Chain {
    const byKey = new Map(this.chain.filters.map((f) => [f.key, f]));
    const created: LoadedFilter[] = [];
    const filters: LoadedFilter[] = [];
    const names = new Set<string>();
    try {
      for (const spec of specs) {
        if (names.has(spec.name))
          throw new Error(`two filters are named "${spec.name}"; give each filter of a chain its own name`);
        names.add(spec.name);
        const reused = byKey.get(filterKey(spec));
        if (reused) {
          filters.push(reused);
          continue;
        }
        let f: LoadedFilter;
        try {
          f = loadFilter(this.host, spec, this.logLevel);
        } catch (err) {
          throw new Error(`filter "${spec.name}": ${(err as Error).message}`);
        }
        created.push(f);
        filters.push(f);
      }
    } catch (err) {
      for (const f of created) f.dispose();
      throw err;
    }
    for (const f of filters) f.users++;
    const old = this.chain;
    this.chain = new Chain(version, filters, new Date());
    old.retired = true;
    if (old.active === 0) this.release(old);
    return this.chain;
  }

  acquire(): Chain {
    const c = this.chain;
    c.active++;
    return c;
  }

  done(chain: Chain): void {
    chain.active--;
    if (chain.retired && chain.active === 0) this.release(chain);
  }

  private release(chain: Chain): void {
    for (const f of chain.filters) {
      f.users--;
      if (f.users === 0) f.dispose();
    }
  }

  /** Releases everything (shutdown). */
  clear(): void {
    this.apply([], 'empty');
  }
}
