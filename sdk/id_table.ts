// Contexts and outstanding calls by the u32 id the host gave them. An open-addressing hash table
// (linear probing over two parallel arrays) instead of a Map<u32, T>: a general-purpose Map is
// about twice the code, and every filter carries this table.
// Host ids are counters (Envoy hands out next_context_id_++, skipping ids in use), but any u32
// works, 0 included: a slot is empty when its value is null, not when its id is 0.

const MIN_CAPACITY = 8;
/** 2^32 / golden ratio: multiplying by it spreads consecutive ids, and ids a power of two apart, over the table. */
const FIBONACCI = 0x9E3779B1;

// One class for every table, holding Object references the callers downcast (they know what they
// stored): a generic IdTable<T> would be compiled once per value type.
export class IdTable {
  private ids: StaticArray<u32> = new StaticArray<u32>(MIN_CAPACITY);
  private values: StaticArray<Object | null> = new StaticArray<Object | null>(MIN_CAPACITY);
  /** 32 - log2(capacity): an id's home slot is the top bits of its hash. */
  private shift: u32 = 32 - ctz<u32>(MIN_CAPACITY);
  private count: i32 = 0;

  /** The value stored for `id`, null when there is none. */
  get(id: u32): Object | null {
    return unchecked(this.values[this.slotOf(id)]);
  }

  set(id: u32, value: Object): void {
    let slot = this.slotOf(id);
    if (unchecked(this.values[slot]) === null) {
      // At most half full: probe runs stay short and there is always an empty slot to stop at.
      if ((this.count + 1) * 2 > this.values.length) {
        this.resize(this.values.length << 1);
        slot = this.slotOf(id);
      }
      this.count++;
      unchecked(this.ids[slot] = id);
    }
    unchecked(this.values[slot] = value);
  }

  /** Forgets `id` (nothing happens when it is absent). */
  delete(id: u32): void {
    let slot = this.slotOf(id);
    let value = unchecked(this.values[slot]);
    if (value === null) return;
    // No tombstones: the rest of the probe run after the hole is taken out and set() again, so
    // each entry lands back where a lookup from its home slot reaches it (never further on: the
    // only empty slots it can meet are the ones emptied here). Less code than backward shifting.
    const mask = this.values.length - 1;
    while (value !== null) {
      unchecked(this.values[slot] = null);
      this.count--;
      if (unchecked(this.ids[slot]) != id) this.set(unchecked(this.ids[slot]), value);
      slot = (slot + 1) & mask;
      value = unchecked(this.values[slot]);
    }
    // Give memory back after a burst of contexts, as a Map would.
    if (this.values.length > MIN_CAPACITY && this.count * 8 < this.values.length) this.resize(this.values.length >> 1);
  }

  private home(id: u32): i32 {
    return <i32>((id * FIBONACCI) >>> this.shift);
  }

  /** The slot holding `id`, or the empty slot where it would go. */
  private slotOf(id: u32): i32 {
    const mask = this.values.length - 1;
    let slot = this.home(id);
    while (unchecked(this.values[slot]) !== null && unchecked(this.ids[slot]) != id) slot = (slot + 1) & mask;
    return slot;
  }

  private resize(capacity: i32): void {
    const ids = this.ids;
    const values = this.values;
    this.ids = new StaticArray<u32>(capacity);
    this.values = new StaticArray<Object | null>(capacity);
    this.shift = 32 - ctz<u32>(capacity);
    for (let i = 0; i < values.length; i++) {
      const value = unchecked(values[i]);
      if (value === null) continue;
      const slot = this.slotOf(unchecked(ids[i]));
      unchecked(this.ids[slot] = ids[i]);
      unchecked(this.values[slot] = value);
    }
  }
}
