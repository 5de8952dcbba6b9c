// Finding the entries of a table by key, for an apply that asks once per database row.
//
// Keys may come from outside (from the network, say), so whoever sends them chooses them:
// no input may make the index slow. Three layers see to it:
//  - the hash is keyed (HalfSipHash-1-3, see table.ts) with 64 random bits drawn per index,
//    so keys cannot be chosen to collide without knowing them;
//  - hashing is open addressing with linear probing at a load of at most 1/4, where a probe
//    sequence of more than about 20 slots does not happen by chance (at 1/2 it reaches 60
//    now and then); if one insertion probes more than `maxProbe` slots (64), or all of them
//    together more than four per key, the index gives up hashing and
//  - sorts the entries by key instead and finds them by binary search: O(n log n) to build
//    (a merge sort) and O(log n) per lookup, whatever the keys are.
// A lookup in the hashed form stops after as many slots as the longest insertion took, so
// it is bounded too, also for keys that are not in the index.
//
// A key given more than once is resolved by rank: the entry whose code ranks highest wins;
// of equal ranks, the later entry. What a rank means is the caller's (for the capability,
// the ingestor's apply rule: confirmed > suspected, then advert > path > none); a rank of 0
// leaves an entry out.
import { randomFillSync } from 'node:crypto';
import { hashKey, type EntryTable } from './table.js';

export type KeyIndexOptions = {
  /**
   * How strong what a code says is, from 0 to 255: of the entries of one key the highest
   * wins (of equal ranks the later one), and 0 leaves an entry out. Default: every code
   * ranks 1, so the last entry of a key wins.
   */
  rank?: (code: number) => number;
  /** The hash key as two 32-bit words; random when omitted (give one only to reproduce a layout). */
  seed?: readonly [number, number];
  /** The most slots one insertion may probe before the index sorts instead (default 64; 0 sorts any table that is not empty). */
  maxProbe?: number;
};

export const DEFAULT_MAX_PROBE = 64;

/** Rank of every code, from the caller's function: a lookup table read in the build loop. */
function rankTable(rank: KeyIndexOptions['rank']): Uint8Array {
  const ranks = new Uint8Array(256);
  for (let code = 0; code < 256; code++) {
    const r = rank === undefined ? 1 : rank(code);
    if (!Number.isInteger(r) || r < 0 || r > 255)
      throw new RangeError(`Expected the "rank" option to give an integer from 0 to 255, got ${r} for code ${code}`);
    ranks[code] = r;
  }
  return ranks;
}

/** Finds entries of a table by key; see the top of this file. */
export class KeyIndex {
  readonly #table: EntryTable;
  readonly #k0: number;
  readonly #k1: number;
  /** Hashed: slot → 1 + entry index, 0 empty; null once sorted. */
  #slots: Int32Array | null = null;
  #mask = 0;
  /** The most slots any insertion probed: no key lies further from its hash. */
  #longest = 0;
  /** Sorted: one entry index per key, in key order; null while hashed. */
  #sorted: Int32Array | null = null;
  #size = 0;

  /** Indexes the entries of `table` whose code ranks above 0. */
  constructor(table: EntryTable, options: KeyIndexOptions = {}) {
    const maxProbe = options.maxProbe ?? DEFAULT_MAX_PROBE;
    if (!Number.isInteger(maxProbe) || maxProbe < 0) throw new RangeError(`Expected the "maxProbe" option to be a non-negative integer, got ${maxProbe}`);
    const seed = options.seed ?? randomFillSync(new Uint32Array(2));
    this.#table = table;
    this.#k0 = seed[0]! | 0;
    this.#k1 = seed[1]! | 0;
    const ranks = rankTable(options.rank);
    let n = 0;
    for (let i = 0; i < table.length; i++) if (ranks[table.codeAt(i)] !== 0) n++;
    if (!this.#hash(ranks, n, maxProbe)) this.#sort(ranks, n);
  }

  /** How many distinct keys are indexed. */
  get size(): number {
    return this.#size;
  }

  /** `hashed`, or `sorted` when the keys collided more than chance allows (see the top of this file). */
  get structure(): 'hashed' | 'sorted' {
    return this.#sorted === null ? 'hashed' : 'sorted';
  }

  /** The most slots one insertion probed (0 when sorted): what a lookup may cost at most. */
  get longestProbe(): number {
    return this.#longest;
  }

  /** The index of the entry with this key, or -1. */
  find(key: string): number {
    const slots = this.#slots;
    if (slots !== null) {
      let slot = hashKey(key, this.#k0, this.#k1) & this.#mask;
      for (let probe = 0; probe < this.#longest; probe++) {
        const held = slots[slot]!;
        if (held === 0) return -1;
        if (this.#table.keyEquals(held - 1, key)) return held - 1;
        slot = (slot + 1) & this.#mask;
      }
      return -1;
    }
    const sorted = this.#sorted!;
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.#table.compareKey(sorted[mid]!, key);
      if (c === 0) return sorted[mid]!;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Calls fn with each indexed entry's index, in no particular order. */
  forEach(fn: (i: number) => void): void {
    if (this.#slots !== null) {
      for (const held of this.#slots) if (held !== 0) fn(held - 1);
    } else {
      for (const i of this.#sorted!) fn(i);
    }
  }

  /** Builds the hashed form; false when the probes went over the bounds. */
  #hash(ranks: Uint8Array, n: number, maxProbe: number): boolean {
    const table = this.#table;
    let capacity = 16;
    while (capacity < n * 4) capacity *= 2;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    // At a load of 1/4 an insertion probes 1.2 slots on average: four per key is far off
    let budget = 4 * n + 64;
    let longest = 0;
    let size = 0;
    for (let i = 0; i < table.length; i++) {
      const rank = ranks[table.codeAt(i)]!;
      if (rank === 0) continue;
      let slot = table.hashAt(i, this.#k0, this.#k1) & mask;
      let probe = 1;
      for (;;) {
        const held = slots[slot]!;
        if (held === 0) {
          slots[slot] = i + 1;
          size++;
          break;
        }
        if (table.sameKey(held - 1, i)) {
          if (rank >= ranks[table.codeAt(held - 1)]!) slots[slot] = i + 1;
          break;
        }
        if (++probe > maxProbe) return false;
        slot = (slot + 1) & mask;
      }
      if (probe > maxProbe || (budget -= probe) < 0) return false;
      if (probe > longest) longest = probe;
    }
    this.#slots = slots;
    this.#mask = mask;
    this.#longest = longest;
    this.#size = size;
    return true;
  }

  /** Builds the sorted form: one merge sort, then one entry per key. */
  #sort(ranks: Uint8Array, n: number): void {
    const table = this.#table;
    const order = new Int32Array(n);
    for (let i = 0, o = 0; i < table.length; i++) if (ranks[table.codeAt(i)] !== 0) order[o++] = i;
    // Equal keys end up together, the winner last: highest rank, then latest entry
    order.sort((a, b) => table.compareKeys(a, b) || ranks[table.codeAt(a)]! - ranks[table.codeAt(b)]! || a - b);
    let size = 0;
    for (let o = 0; o < n; o++) {
      if (o + 1 < n && table.sameKey(order[o]!, order[o + 1]!)) continue;
      order[size++] = order[o]!;
    }
    this.#sorted = order.slice(0, size);
    this.#size = size;
  }
}

/**
 * The same answers as KeyIndex, the plain way: a Map from key to entry. The reference the
 * differential test holds KeyIndex to. (Each key is prefixed so that none looks like an
 * array index, whose hash V8 does not seed.)
 */
export class PlainKeyIndex {
  readonly #map = new Map<string, number>();

  constructor(table: EntryTable, options: Pick<KeyIndexOptions, 'rank'> = {}) {
    const rank = options.rank ?? (() => 1);
    for (let i = 0; i < table.length; i++) {
      const r = rank(table.codeAt(i));
      if (r === 0) continue;
      const key = `k${table.keyAt(i)}`;
      const held = this.#map.get(key);
      if (held === undefined || r >= rank(table.codeAt(held))) this.#map.set(key, i);
    }
  }

  get size(): number {
    return this.#map.size;
  }

  find(key: string): number {
    return this.#map.get(`k${key}`) ?? -1;
  }

  forEach(fn: (i: number) => void): void {
    for (const i of this.#map.values()) fn(i);
  }
}
