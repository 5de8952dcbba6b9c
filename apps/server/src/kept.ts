// What an analytics cycle keeps so that one node's explanation needs no scan: per node, the
// newest pieces of evidence (time, rowid, hop), how many there were, its adverts by hash size
// and which prefix lengths of its key matched a hop. Typed arrays, sized by the node count
// once per cycle, so memory follows the nodes, never the packets, and the whole state moves
// between threads without a copy.

/** At most this many pieces of evidence are listed per node and kind, the newest. */
export const EXPLAIN_LIMIT = 20;

/**
 * The newest EXPLAIN_LIMIT pieces of one kind of evidence per node, ordered by time, then
 * rowid, then hop index (the later first, the lower hop first), and how many there were.
 */
export type KeptLane = {
  time: Float64Array;
  rowid: Float64Array;
  /** The index of the matching hop among the packet's hops (path evidence). */
  hop: Uint32Array;
  filled: Uint8Array;
  /** Once full, the slot of the oldest kept, which the next newer one replaces. */
  oldest: Uint8Array;
  total: Uint32Array;
};

export type KeptEvidence = {
  /** Node keys exactly as stored; a node's index is its place here. */
  keys: string[];
  /** Window start and cycle time, in ms since the epoch. */
  since: number | null;
  computedAt: number;
  /** Largest hash size per node (0 = none), as advert and as path evidence. */
  advertMax: Uint8Array;
  pathMax: Uint8Array;
  adverts: KeptLane;
  paths: KeptLane;
  /** Per node, adverts of hash size 1, 2 and 3 (3 slots each), zero-hop direct ones apart. */
  bySize: Uint32Array;
  zeroHopDirect: Uint32Array;
  /** Per node, a bit per hop length 1–64 (in hex digits) that matched its key's prefix. */
  hopLengths: Uint32Array;
  /** Per node, when its multi-byte advert and path evidence were first seen, in every packet, not only the window's (Infinity = never). */
  firstAdvert: Float64Array;
  firstPath: Float64Array;
};

function createLane(n: number): KeptLane {
  return {
    time: new Float64Array(n * EXPLAIN_LIMIT),
    rowid: new Float64Array(n * EXPLAIN_LIMIT),
    hop: new Uint32Array(n * EXPLAIN_LIMIT),
    filled: new Uint8Array(n),
    oldest: new Uint8Array(n),
    total: new Uint32Array(n),
  };
}

/** Empty kept state for these nodes: every count 0, every lane empty. */
export function createKeptArrays(keys: string[], since: number | null, computedAt: number, n = keys.length): KeptEvidence {
  return {
    keys,
    since,
    computedAt,
    advertMax: new Uint8Array(n),
    pathMax: new Uint8Array(n),
    adverts: createLane(n),
    paths: createLane(n),
    bySize: new Uint32Array(n * 3),
    zeroHopDirect: new Uint32Array(n),
    hopLengths: new Uint32Array(n * 2),
    firstAdvert: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
    firstPath: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
  };
}

/** Whether (time, rowid, hop) at slot `a` is newer than (t, r, h). */
function newer(lane: KeptLane, a: number, t: number, r: number, h: number): boolean {
  const ta = lane.time[a]!;
  if (ta !== t) return ta > t;
  const ra = lane.rowid[a]!;
  return ra !== r ? ra > r : lane.hop[a]! < h;
}

function keepIn(lane: KeptLane, node: number, time: number, rowid: number, hop: number): void {
  lane.total[node]!++;
  const base = node * EXPLAIN_LIMIT;
  const filled = lane.filled[node]!;
  let slot: number;
  if (filled < EXPLAIN_LIMIT) {
    slot = base + filled;
    lane.filled[node] = filled + 1;
  } else {
    // Full: the oldest kept is replaced when this one is newer
    slot = base + lane.oldest[node]!;
    if (newer(lane, slot, time, rowid, hop)) return;
  }
  lane.time[slot] = time;
  lane.rowid[slot] = rowid;
  lane.hop[slot] = hop;
  if (filled + 1 >= EXPLAIN_LIMIT) {
    let oldest = base;
    for (let i = base + 1; i < base + EXPLAIN_LIMIT; i++) if (newer(lane, oldest, lane.time[i]!, lane.rowid[i]!, lane.hop[i]!)) oldest = i;
    lane.oldest[node] = oldest - base;
  }
}

/** The kept slots of `node`, newest first. */
export function keptSlots(lane: KeptLane, node: number): { time: number; rowid: number; hop: number }[] {
  const base = node * EXPLAIN_LIMIT;
  const slots = [];
  for (let i = base; i < base + lane.filled[node]!; i++) slots.push({ time: lane.time[i]!, rowid: lane.rowid[i]!, hop: lane.hop[i]! });
  return slots.sort((a, b) => b.time - a.time || b.rowid - a.rowid || a.hop - b.hop);
}

export type Keeper = {
  /** An advert of these nodes, of any size: counted; `evidence` also keeps it. */
  advert(ids: readonly number[] | undefined, hashSize: number, zeroHopDirect: boolean, evidence: boolean, time: number, rowid: number): void;
  /** Hop `hop` (of `length` hex digits) of an evidence packet matched these nodes' prefix. */
  path(ids: readonly number[] | undefined, time: number, rowid: number, hop: number, length: number): void;
  /** Multi-byte evidence before the window: only when it was first seen. */
  firstAdvert(ids: readonly number[] | undefined, time: number): void;
  firstPath(ids: readonly number[] | undefined, time: number, length: number): void;
  finish(pathMax: Uint8Array): KeptEvidence;
};

/**
 * `advertMax` is the accumulator's own, read as it grows: path evidence of a node already
 * confirmed is not kept, since a confirmed node's explanation lists its adverts only.
 */
export function createKeeper(keys: string[], since: number | null, computedAt: number, advertMax: Uint8Array): Keeper {
  const { adverts, paths, bySize, zeroHopDirect, hopLengths, firstAdvert, firstPath } = createKeptArrays(keys, since, computedAt);
  return {
    firstAdvert(ids, time) {
      for (const id of ids ?? []) if (time < firstAdvert[id]!) firstAdvert[id] = time;
    },
    firstPath(ids, time, length) {
      if (length > 64) return;
      for (const id of ids ?? []) if (time < firstPath[id]!) firstPath[id] = time;
    },
    advert(ids, hashSize, zeroHop, evidence, time, rowid) {
      if (ids === undefined) return;
      for (const id of ids) {
        if (zeroHop) zeroHopDirect[id]!++;
        else bySize[id * 3 + hashSize - 1]!++;
        if (!evidence) continue;
        keepIn(adverts, id, time, rowid, 0);
        if (time < firstAdvert[id]!) firstAdvert[id] = time;
      }
    },
    path(ids, time, rowid, hop, length) {
      // A matching hop is never longer than a key (64 hex digits)
      if (ids === undefined || length > 64) return;
      const word = length > 32 ? 1 : 0;
      const bit = 1 << ((length - 1) & 31);
      for (const id of ids) {
        // Before the skip: a node suspected first and confirmed later was suspected meanwhile
        if (time < firstPath[id]!) firstPath[id] = time;
        if (advertMax[id]! >= 2) continue;
        keepIn(paths, id, time, rowid, hop);
        hopLengths[id * 2 + word]! |= bit;
      }
    },
    finish: (pathMax) => ({ keys, since, computedAt, advertMax, pathMax, adverts, paths, bySize, zeroHopDirect, hopLengths, firstAdvert, firstPath }),
  };
}

/** The prefix lengths (hex digits) that matched `node`, shortest first. */
export function matchedLengths(kept: KeptEvidence, node: number): number[] {
  const lengths = [];
  for (let length = 1; length <= 64; length++) {
    const word = kept.hopLengths[node * 2 + (length > 32 ? 1 : 0)]!;
    if ((word >>> ((length - 1) & 31)) & 1) lengths.push(length);
  }
  return lengths;
}

/** A copy that shares no memory with `kept`: what is handed to another thread while the original goes on changing. */
export function copyKept(kept: KeptEvidence, asOf: { since: number | null; computedAt: number }): KeptEvidence {
  const copy = createKeptArrays(kept.keys.slice(), asOf.since, asOf.computedAt, kept.advertMax.length);
  const from = keptArrays(kept);
  keptArrays(copy).forEach((array, i) => (array as Uint8Array).set(from[i] as Uint8Array));
  return copy;
}

/**
 * The same state with room for at least `n` nodes: the arrays are copied into larger ones
 * (half again as large, so appending node after node copies rarely); `keys` is shared.
 */
export function growKept(kept: KeptEvidence, n: number): KeptEvidence {
  if (kept.advertMax.length >= n) return kept;
  const grown = createKeptArrays(kept.keys, kept.since, kept.computedAt, Math.max(n, Math.ceil(kept.advertMax.length * 1.5)));
  const from = keptArrays(kept);
  keptArrays(grown).forEach((array, i) => (array as Uint8Array).set(from[i] as Uint8Array));
  return grown;
}

/** Some nodes' kept state, by node index: what changed, sent instead of the whole. */
export type KeptPatch = { ids: Uint32Array; part: KeptEvidence };

export function keptPatch(kept: KeptEvidence, ids: readonly number[]): KeptPatch {
  const part = createKeptArrays([], kept.since, kept.computedAt, ids.length);
  copyNodes(
    kept,
    ids,
    part,
    ids.map((_, j) => j),
  );
  return { ids: Uint32Array.from(ids), part };
}

/** Writes a patch into `kept`, in place. */
export function applyKeptPatch(kept: KeptEvidence, patch: KeptPatch): void {
  const ids = Array.from(patch.ids);
  copyNodes(
    patch.part,
    ids.map((_, j) => j),
    kept,
    ids,
  );
}

/** Node `from[j]`'s slots of `source` into node `to[j]`'s of `target`, for every j. */
function copyNodes(source: KeptEvidence, from: readonly number[], target: KeptEvidence, to: readonly number[]): void {
  const L = EXPLAIN_LIMIT;
  for (let j = 0; j < from.length; j++) {
    const a = from[j]!;
    const b = to[j]!;
    target.advertMax[b] = source.advertMax[a]!;
    target.pathMax[b] = source.pathMax[a]!;
    target.zeroHopDirect[b] = source.zeroHopDirect[a]!;
    target.firstAdvert[b] = source.firstAdvert[a]!;
    target.firstPath[b] = source.firstPath[a]!;
    target.bySize.set(source.bySize.subarray(a * 3, a * 3 + 3), b * 3);
    target.hopLengths.set(source.hopLengths.subarray(a * 2, a * 2 + 2), b * 2);
    for (const lane of ['adverts', 'paths'] as const) {
      const x = source[lane];
      const y = target[lane];
      y.time.set(x.time.subarray(a * L, a * L + L), b * L);
      y.rowid.set(x.rowid.subarray(a * L, a * L + L), b * L);
      y.hop.set(x.hop.subarray(a * L, a * L + L), b * L);
      y.filled[b] = x.filled[a]!;
      y.oldest[b] = x.oldest[a]!;
      y.total[b] = x.total[a]!;
    }
  }
}

/** Every typed array of the state, in one order. */
function keptArrays(kept: KeptEvidence): ArrayBufferView[] {
  const arrays: ArrayBufferView[] = [kept.advertMax, kept.pathMax, kept.bySize, kept.zeroHopDirect, kept.hopLengths, kept.firstAdvert, kept.firstPath];
  for (const lane of [kept.adverts, kept.paths]) arrays.push(lane.time, lane.rowid, lane.hop, lane.filled, lane.oldest, lane.total);
  return arrays;
}

/** The buffers to hand over when the state moves to another thread. */
export function keptBuffers(kept: KeptEvidence): ArrayBuffer[] {
  return keptArrays(kept).map((a) => a.buffer as ArrayBuffer);
}
