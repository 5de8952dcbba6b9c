// Seeded randomness: every random choice of a campaign comes from here, so a seed replays
// the same run. Each campaign forks its own stream by name, so `--only X --seed N` makes
// the same choices as X did inside the full run with seed N.
import { createHash } from 'node:crypto';
import { createRng as createMeshRng } from '@mbcap/meshgen';

/** A seeded random source with the helpers the campaigns use. */
export function createRng(seed) {
  // The one seeded PRNG of the project (mulberry32, @mbcap/meshgen), with a few helpers
  const base = createMeshRng(seed >>> 0);
  const rng = {
    seed,
    float: base.next,
    /** An integer in [0, n). */
    int: base.int,
    /** An integer in [lo, hi]. */
    between: base.between,
    pick: base.pick,
    chance: base.chance,
    hex: (bytes) => Buffer.from(base.bytes(bytes)).toString('hex'),
    shuffle: (items) => base.shuffle([...items]),
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
