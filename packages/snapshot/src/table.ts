// Entries packed as (key, code): every key's ASCII bytes in one growing buffer and a small
// code per entry (what the entry says, as a number the handoff defines). A million
// entries with 64-character keys take about 70 MB here, against about 130 MB as objects
// with their key strings, and build several times faster.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export class EntryTable {
  #keys = Buffer.allocUnsafe(1 << 16);
  /** keyEnd[i]: end of entry i's key in #keys; it starts where entry i - 1's ends. */
  #keyEnd = new Int32Array(1024);
  #codes = new Uint8Array(1024);
  #length = 0;
  #used = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends the key held in bytes[start, end) (ASCII, checked by the caller). */
  pushBytes(bytes: Uint8Array, start: number, end: number, code: number): void {
    const n = end - start;
    this.#reserve(n);
    this.#keys.set(bytes.subarray(start, end), this.#used);
    this.#append(n, code);
  }

  /** Appends a key given as a string; it must be ASCII. */
  push(key: string, code: number): void {
    const n = key.length;
    this.#reserve(n);
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) throw new RangeError(`Expected an ASCII key, got ${JSON.stringify(key)}`);
      this.#keys[this.#used + i] = c;
    }
    this.#append(n, code);
  }

  keyAt(i: number): string {
    return this.#keys.toString('latin1', this.#start(i), this.#keyEnd[i]!);
  }

  codeAt(i: number): number {
    return this.#codes[i]!;
  }

  /** Whether entry i's key is exactly `key`. */
  keyEquals(i: number, key: string): boolean {
    const start = this.#start(i);
    const n = this.#keyEnd[i]! - start;
    if (key.length !== n) return false;
    const keys = this.#keys;
    for (let k = 0; k < n; k++) if (keys[start + k] !== key.charCodeAt(k)) return false;
    return true;
  }

  /** Whether entries a and b have the same key. */
  sameKey(a: number, b: number): boolean {
    const sa = this.#start(a);
    const sb = this.#start(b);
    const n = this.#keyEnd[a]! - sa;
    if (this.#keyEnd[b]! - sb !== n) return false;
    const keys = this.#keys;
    for (let k = 0; k < n; k++) if (keys[sa + k] !== keys[sb + k]) return false;
    return true;
  }

  /** FNV-1a of entry i's key; equal to hashKey() of the same key as a string. */
  hashAt(i: number): number {
    const keys = this.#keys;
    let h = FNV_OFFSET;
    for (let k = this.#start(i), end = this.#keyEnd[i]!; k < end; k++) h = Math.imul(h ^ keys[k]!, FNV_PRIME);
    return h >>> 0;
  }

  #start(i: number): number {
    return i === 0 ? 0 : this.#keyEnd[i - 1]!;
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes > this.#keys.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#keys.length * 2, this.#used + bytes));
      this.#keys.copy(grown, 0, 0, this.#used);
      this.#keys = grown;
    }
    if (this.#length === this.#codes.length) {
      const keyEnd = new Int32Array(this.#length * 2);
      keyEnd.set(this.#keyEnd);
      this.#keyEnd = keyEnd;
      const codes = new Uint8Array(this.#length * 2);
      codes.set(this.#codes);
      this.#codes = codes;
    }
  }

  #append(n: number, code: number): void {
    this.#used += n;
    this.#keyEnd[this.#length] = this.#used;
    this.#codes[this.#length++] = code;
  }
}

export function hashKey(key: string): number {
  let h = FNV_OFFSET;
  for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key.charCodeAt(k), FNV_PRIME);
  return h >>> 0;
}

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

  /** Indexes the entries of `table` for which `include(i)` is true (all when omitted). */
  constructor(table: EntryTable, include?: (i: number) => boolean) {
    this.#table = table;
    let capacity = 16;
    while (capacity < table.length * 2) capacity *= 2;
    this.#slots = new Int32Array(capacity);
    this.#mask = capacity - 1;
    for (let i = 0; i < table.length; i++) {
      if (include && !include(i)) continue;
      let slot = table.hashAt(i) & this.#mask;
      for (;;) {
        const held = this.#slots[slot]!;
        if (held === 0) {
          this.#slots[slot] = i + 1;
          this.#size++;
          break;
        }
        if (table.sameKey(held - 1, i)) {
          this.#slots[slot] = i + 1;
          break;
        }
        slot = (slot + 1) & this.#mask;
      }
    }
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
