// A small seeded PRNG (mulberry32): the generator's only source of randomness, so a seed
// always gives the same mesh, and the one the tests, benchmarks and reliability campaigns
// draw from, so a printed seed replays their run. Its whole state is one uint32, kept in the mesh state so
// nextTraffic() continues the same stream.

export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Integer in [min, max]. */
  between(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** One item, chosen with the given relative weights. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T;
  bytes(n: number): Uint8Array;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** The state to resume from with createRng(state). */
  state(): number;
};

/** A PRNG seeded by an integer; the same seed gives the same stream. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new TypeError(`Expected the seed to be an integer, got ${String(seed)}`);
  let s = seed >>> 0;

  function next(): number {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  const int = (n: number): number => Math.floor(next() * n);

  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('Expected a non-empty list to pick from');
      return items[int(items.length)]!;
    },
    weighted: (choices) => {
      const total = choices.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of choices) {
        r -= w;
        if (r < 0) return item;
      }
      return choices[choices.length - 1]![0];
    },
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = int(256);
      return out;
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
    state: () => s,
  };
}
