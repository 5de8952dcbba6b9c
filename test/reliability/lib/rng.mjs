// Seeded randomness: every random choice of a campaign comes from here, so a seed replays
// the same run. Each campaign forks its own stream by name, so `--only X --seed N` makes
// the same choices as X did inside the full run with seed N.
import { createHash } from 'node:crypto';
import { createRng as createMeshRng } from '@mbcap/meshgen';

/** A seeded random source with the helpers the campaigns use. */
export function createRng(seed) {
  // The same mulberry32 stream the synthetic mesh uses
  const base = createMeshRng(seed >>> 0);
  const next = () => base.next();
  const rng = {
    seed,
    float: next,
    /** An integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    /** An integer in [lo, hi]. */
    between: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
    hex: (bytes) => {
      let out = '';
      for (let i = 0; i < bytes; i++) out += Math.floor(next() * 256).toString(16).padStart(2, '0');
      return out;
    },
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    /** An independent stream named `label`, the same for the same seed. */
    fork: (label) => createRng(deriveSeed(seed, label)),
  };
  return rng;
}

export function deriveSeed(seed, label) {
  return createHash('sha256').update(`${seed}:${label}`).digest().readUInt32LE(0);
}

/** A fresh seed when none is given: time and pid, printed so the run can be replayed. */
export function freshSeed() {
  return ((Date.now() ^ (process.pid << 16)) >>> 0) % 1_000_000;
}
