// Snapshots for a model: every node of the mesh with a random status, and the model the
// database must hold once the snapshot is applied: unknown is never written, and a stored
// value only rises (an entry whose sup is below the row's leaves the row as it was; of
// equal sup, the entry's evidence is written).
import { EVIDENCE_CODE, SUP_OF_STATUS } from './meshdb.mjs';

/** The state a row holds after an entry (never unknown) is applied to `state`: max by sup. */
export function risen(state, status, evidence) {
  const sup = SUP_OF_STATUS[status];
  return Math.floor(state / 4) > sup ? state : sup * 4 + EVIDENCE_CODE[evidence ?? 'null'];
}

/**
 * Entries for every key (in a shuffled-free, index order), random statuses; returns the
 * entries and the model after applying them to `before`.
 */
export function randomSnapshot(rng, keys, before, options = {}) {
  const unknownShare = options.unknownShare ?? 0.3;
  const after = Uint8Array.from(before);
  const entries = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const r = rng.float();
    if (r < unknownShare) {
      entries[i] = { public_key: keys[i], status: 'unknown' };
      continue;
    }
    const confirmed = r < unknownShare + (1 - unknownShare) / 2;
    const status = confirmed ? 'confirmed' : 'suspected';
    // Now and then no evidence, the way the Go writer leaves it out
    const evidence = rng.chance(0.05) ? null : confirmed ? 'advert' : 'path';
    entries[i] = evidence ? { public_key: keys[i], status, evidence } : { public_key: keys[i], status };
    after[i] = risen(before[i], status, evidence);
  }
  return { entries, after };
}

/**
 * Applies entries to a model the way the ingestor must: of a key's entries the strongest
 * wins (confirmed over suspected, then advert over path over none), the later
 * of equals; unknown is never written; then the row takes it only if its sup is not
 * lower than the row's (a stored value only rises).
 */
export function applyToModel(before, entries, keyIndex) {
  const after = Uint8Array.from(before);
  const best = new Map();
  for (const e of entries) {
    if (e.status === 'unknown') continue;
    const i = keyIndex.get(e.public_key);
    if (i === undefined) continue;
    const rank = (e.status === 'confirmed' ? 10 : 0) + (e.evidence === 'advert' ? 3 : e.evidence === 'path' ? 2 : 1);
    if ((best.get(i)?.rank ?? -1) > rank) continue;
    best.set(i, { rank, e });
  }
  for (const [i, { e }] of best) after[i] = risen(before[i], e.status, e.evidence);
  return after;
}

/** How many rows change between two models, split by table (odd index: inactive_nodes). */
export function changedRows(before, after) {
  let active = 0;
  let inactive = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    if (i % 2 === 1) inactive++;
    else active++;
  }
  return { active, inactive };
}
