import { hashKey, type EntryTable } from './table.js';

/**
 * Finds entries of a table by key: open addressing over the table's own key bytes, so a
 * lookup allocates nothing. Where a key occurs more than once, the last entry wins.
 */
export class KeyIndex {
  readonly #table: EntryTable;
  /** slot → 1 + entry index; 0 is empty */
  readonly #slots: Int32Array;
  readonly #mask: number;
  #size = 0;

  /** Indexes the entries of `table` whose code `keep` accepts (all when omitted). */
  constructor(table: EntryTable, keep?: (code: number) => boolean) {
    this.#table = table;
    let capacity = 16;
    while (capacity < table.length * 2) capacity *= 2;
    this.#slots = new Int32Array(capacity);
    this.#mask = capacity - 1;
    const kept = Uint8Array.from({ length: 256 }, (_, code) => (keep === undefined || keep(code) ? 1 : 0));
    this.#size = table.fillSlots(this.#slots, kept);
  }

  /** How many distinct keys are indexed. */
  get size(): number {
    return this.#size;
  }

  /** The index of the entry with this key, or -1. */
  find(key: string): number {
    let slot = hashKey(key) & this.#mask;
    for (;;) {
      const held = this.#slots[slot]!;
      if (held === 0) return -1;
      if (this.#table.keyEquals(held - 1, key)) return held - 1;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Calls fn with each indexed entry's index, in slot order. */
  forEach(fn: (i: number) => void): void {
    for (let slot = 0; slot < this.#slots.length; slot++) {
      const held = this.#slots[slot]!;
      if (held !== 0) fn(held - 1);
    }
  }
}
