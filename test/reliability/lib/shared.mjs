// What the campaigns of one run share: mesh databases built once per size and copied for
// each use, so the 200k-node database costs one build per run.
import { join } from 'node:path';
import { buildMeshDb, copyDb } from './meshdb.mjs';

export function createShared(runDir, rng) {
  const built = new Map();
  return {
    /**
     * A fresh copy of a database with `count` nodes (half in inactive_nodes) at `to`;
     * returns its keys, a key → index map, and the model of its initial states.
     */
    async meshDb(count, to) {
      let entry = built.get(count);
      if (!entry) {
        const path = join(runDir, `mesh-${count}.db`);
        entry = buildMeshDb(path, rng.fork(`mesh-${count}`), count).then(({ keys, model }) => ({
          path,
          keys,
          model,
          keyIndex: new Map(keys.map((k, i) => [k, i])),
        }));
        built.set(count, entry);
      }
      const { path, keys, model, keyIndex } = await entry;
      copyDb(path, to);
      return { keys, keyIndex, model: Uint8Array.from(model) };
    },
  };
}
