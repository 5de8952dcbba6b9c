// The window's evidence keyed by what the packets name, not by node: adverts by their key,
// path evidence by the hop. Rows are added as they arrive and taken away as they leave the
// window, so keeping it current costs the new rows and the rows ageing out, never the
// history, and a node whose row appears later finds its evidence waiting. Each node's
// status and explanation are read from here (fillNode): they must equal what the full
// scan (capability.ts) computes, and a differential test holds them equal.
import { isDirectRoute, PAYLOAD_TYPE, peekPacket, type PacketPeek } from '@mbcap/meshcore';
import { parseFirstSeen } from '@mbcap/dbschema';
import { advertKeyOf, evidenceHops, isEvidence, payloadTypeOf, type PacketRow } from './capability.js';
import { EXPLAIN_LIMIT, type KeptEvidence } from './kept.js';

/** The newest EXPLAIN_LIMIT pieces of one kind of evidence, as (time, rowid, hop) triples newest first, and how many there are. */
type Lane = { items: number[]; total: number };

/** What a row names (evidence.ts reads it once per row). */
type Parts = { evidence: boolean; type: number; key: string | null; hops: readonly unknown[] | null };

/** A key's adverts in the window: by hash size (zero-hop direct ones apart), and the evidence among them. */
type AdvertAgg = { sizes: [number, number, number]; zeroHopDirect: number; evidence: [number, number]; lane: Lane };
/** A hop's path evidence in the window: by hash size (2, 3). */
type HopAgg = { evidence: [number, number]; lane: Lane };

/** Whether (t1, r1, h1) comes before (t2, r2, h2): the later first, then the higher rowid, then the lower hop (kept.ts's order). */
function before(t1: number, r1: number, h1: number, t2: number, r2: number, h2: number): boolean {
  return t1 !== t2 ? t1 > t2 : r1 !== r2 ? r1 > r2 : h1 < h2;
}

function laneAdd(lane: Lane, time: number, rowid: number, hop: number): void {
  lane.total++;
  const items = lane.items;
  let i = items.length / 3;
  while (i > 0 && before(time, rowid, hop, items[(i - 1) * 3]!, items[(i - 1) * 3 + 1]!, items[(i - 1) * 3 + 2]!)) i--;
  if (i >= EXPLAIN_LIMIT) return;
  items.splice(i * 3, 0, time, rowid, hop);
  if (items.length > EXPLAIN_LIMIT * 3) items.length = EXPLAIN_LIMIT * 3;
}

/**
 * Rows leave in one go, every row older than the window's start: when one of them was among
 * the newest kept, every piece left was too, so what stays is still the newest.
 */
function laneRemove(lane: Lane, time: number, rowid: number, hop: number): void {
  lane.total--;
  const items = lane.items;
  for (let i = 0; i < items.length; i += 3) {
    if (items[i] === time && items[i + 1] === rowid && items[i + 2] === hop) {
      items.splice(i, 3);
      return;
    }
  }
}

const maxOf = (evidence: [number, number]) => (evidence[1] > 0 ? 3 : evidence[0] > 0 ? 2 : 0);

/** Rows in the window that counted for something, by time, so the oldest can leave first. */
function createAgeQueue() {
  let times = new Float64Array(1024);
  let rowids = new Float64Array(1024);
  let size = 0;
  const swap = (a: number, b: number) => {
    const t = times[a]!;
    times[a] = times[b]!;
    times[b] = t;
    const r = rowids[a]!;
    rowids[a] = rowids[b]!;
    rowids[b] = r;
  };
  return {
    size: () => size,
    push(time: number, rowid: number): void {
      if (size === times.length) {
        const grow = (old: Float64Array) => {
          const next = new Float64Array(old.length * 2);
          next.set(old);
          return next;
        };
        times = grow(times);
        rowids = grow(rowids);
      }
      let i = size++;
      times[i] = time;
      rowids[i] = rowid;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (times[parent]! <= times[i]!) break;
        swap(i, parent);
        i = parent;
      }
    },
    /** Takes out every row older than `since`: [time, rowid] pairs. */
    popBefore(since: number): [number, number][] {
      const out: [number, number][] = [];
      while (size > 0 && times[0]! < since) {
        out.push([times[0]!, rowids[0]!]);
        size--;
        times[0] = times[size]!;
        rowids[0] = rowids[size]!;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < size && times[l]! < times[m]!) m = l;
          if (r < size && times[r]! < times[m]!) m = r;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return out;
    },
  };
}

export type EvidenceIndex = ReturnType<typeof createEvidenceIndex>;

/**
 * `windowMs`: how far back packets count (null = all). Feed rows with add() in any order;
 * expire(now) takes out the rows that left the window since, reading them again by rowid.
 */
export function createEvidenceIndex(windowMs: number | null) {
  const adverts = new Map<string, AdvertAgg>();
  const hops = new Map<string, HopAgg>();
  /** Hop aggregates by hop length: a node looks up its prefix of each length present. */
  const hopLengths = new Map<number, number>();
  const queue = createAgeQueue();
  /** When each advert key and hop was first seen as multi-byte evidence, in every row read, in the window or before it. */
  const firstByKey = new Map<string, number>();
  const firstByHop = new Map<string, number>();
  const firstHopLengths = new Set<number>();
  /** Advert keys and hops whose evidence changed since takeDirty(). */
  let dirtyAdverts = new Set<string>();
  let dirtyHops = new Set<string>();
  let counted = 0;
  let skipped = 0;
  let since = -Infinity;

  function noteFirst(map: Map<string, number>, dirty: Set<string>, lower: string, time: number): void {
    const first = map.get(lower);
    if (first !== undefined && first <= time) return;
    map.set(lower, time);
    dirty.add(lower);
  }

  /** What a row names, read once: its type, its advert key (adverts only), its hops (evidence only; null for TRACE). */
  function partsOf(row: PacketRow, packet: PacketPeek): Parts {
    const evidence = isEvidence(packet);
    const type = payloadTypeOf(row, packet);
    return { evidence, type, key: type === PAYLOAD_TYPE.ADVERT ? advertKeyOf(row, packet) : null, hops: evidence ? evidenceHops(row, packet, type) : null };
  }

  /** Notes when a row's multi-byte evidence was seen, for each key and hop it names. */
  function first(parts: Parts, time: number): void {
    if (!parts.evidence) return;
    if (parts.key !== null) noteFirst(firstByKey, dirtyAdverts, parts.key.toLowerCase(), time);
    for (const hop of parts.hops ?? []) {
      if (typeof hop !== 'string' || hop === '' || hop.length > 64) continue;
      firstHopLengths.add(hop.length);
      noteFirst(firstByHop, dirtyHops, hop.toLowerCase(), time);
    }
  }

  /** Adds (sign 1) or takes away (sign -1) what an intact row in the window says; false when it says nothing. */
  function apply(row: PacketRow, packet: PacketPeek, parts: Parts, time: number, sign: 1 | -1): boolean {
    const { evidence, type } = parts;
    const size = packet.hashSize;
    const rowid = row.rowid ?? 0;
    let counts = false;

    // Adverts of every size are counted for the explanation; the multi-byte ones are evidence
    if (type === PAYLOAD_TYPE.ADVERT) {
      const key = parts.key;
      if (key !== null) {
        const lower = key.toLowerCase();
        dirtyAdverts.add(lower);
        let agg = adverts.get(lower);
        if (agg === undefined) {
          agg = { sizes: [0, 0, 0], zeroHopDirect: 0, evidence: [0, 0], lane: { items: [], total: 0 } };
          adverts.set(lower, agg);
        }
        if (packet.hopCount === 0 && isDirectRoute(packet.routeType)) agg.zeroHopDirect += sign;
        else agg.sizes[size - 1]! += sign;
        if (evidence) {
          agg.evidence[size - 2]! += sign;
          if (sign > 0) laneAdd(agg.lane, time, rowid, 0);
          else laneRemove(agg.lane, time, rowid, 0);
        }
        if (sign < 0 && agg.sizes[0] + agg.sizes[1] + agg.sizes[2] + agg.zeroHopDirect === 0) adverts.delete(lower);
        counts = true;
      }
    }
    if (!evidence) return counts;

    // Path evidence; TRACE path bytes are SNR values, not hashes
    const list = parts.hops;
    if (list === null) return counts;
    for (let h = 0; h < list.length; h++) {
      const hop = list[h];
      if (typeof hop !== 'string' || hop === '') continue;
      const lower = hop.toLowerCase();
      dirtyHops.add(lower);
      let agg = hops.get(lower);
      if (agg === undefined) {
        agg = { evidence: [0, 0], lane: { items: [], total: 0 } };
        hops.set(lower, agg);
        hopLengths.set(lower.length, (hopLengths.get(lower.length) ?? 0) + 1);
      }
      agg.evidence[size - 2]! += sign;
      if (sign > 0) laneAdd(agg.lane, time, rowid, h);
      else laneRemove(agg.lane, time, rowid, h);
      if (agg.lane.total === 0) {
        hops.delete(lower);
        const left = hopLengths.get(lower.length)! - 1;
        if (left === 0) hopLengths.delete(lower.length);
        else hopLengths.set(lower.length, left);
      }
      counts = true;
    }
    return counts;
  }

  return {
    /** Moves the window's start to `now - windowMs`; call before add() and expire(). */
    setNow(now: number): void {
      since = windowMs === null ? -Infinity : now - windowMs;
    },
    since: () => (windowMs === null ? null : since),

    /** A new row: counted when it lies in the window and says something. */
    add(row: PacketRow): void {
      const time = parseFirstSeen(row.first_seen);
      if (time === null) {
        skipped++;
        return;
      }
      const packet = peekPacket(row.raw_hex);
      // Before the window: only when its evidence was first seen
      if (time < since) {
        if (packet !== null && isEvidence(packet)) first(partsOf(row, packet), time);
        return;
      }
      if (packet === null) {
        skipped++;
        return;
      }
      const parts = partsOf(row, packet);
      first(parts, time);
      if (!apply(row, packet, parts, time, 1)) return;
      counted++;
      if (windowMs !== null) queue.push(time, row.rowid ?? 0);
    },

    /**
     * Takes out the rows that left the window, read again through `reread` (rowids → rows).
     * False when a row is gone or says something else than when it was added: the database
     * changed under the index, and only a full pass can say what it holds.
     */
    expire(reread: (rowids: number[]) => Map<number, PacketRow>): boolean {
      const leaving = queue.popBefore(since);
      if (leaving.length === 0) return true;
      const rows = reread(leaving.map(([, rowid]) => rowid));
      for (const [time, rowid] of leaving) {
        const row = rows.get(rowid);
        const packet = row === undefined ? null : peekPacket(row.raw_hex);
        if (row === undefined || packet === null || parseFirstSeen(row.first_seen) !== time || !apply(row, packet, partsOf(row, packet), time, -1))
          return false;
        counted--;
      }
      return true;
    },

    /** Rows in the window that count for something; unreadable rows seen. */
    stats: () => ({ counted, skipped }),

    /** The advert keys and hops whose evidence changed since the last call, lowercase; and forget them. */
    takeDirty(): { adverts: Set<string>; hops: Set<string> } {
      const taken = { adverts: dirtyAdverts, hops: dirtyHops };
      dirtyAdverts = new Set();
      dirtyHops = new Set();
      return taken;
    },

    /** The hop lengths present, shortest first: a node looks up its prefix of each. */
    hopLengths: (): number[] => [...hopLengths.keys()].sort((a, b) => a - b),

    /**
     * Node `i`'s explanation into `kept` (every field of its slots written) from the evidence
     * of its lowercase key; its largest advert and path hash sizes are returned.
     */
    fillNode(kept: KeptEvidence, i: number, lower: string, lengths: readonly number[]): { advertMax: number; pathMax: number } {
      const advert = lower === '' ? undefined : adverts.get(lower);
      const advertMax = advert === undefined ? 0 : maxOf(advert.evidence);
      kept.bySize[i * 3] = advert?.sizes[0] ?? 0;
      kept.bySize[i * 3 + 1] = advert?.sizes[1] ?? 0;
      kept.bySize[i * 3 + 2] = advert?.sizes[2] ?? 0;
      kept.zeroHopDirect[i] = advert?.zeroHopDirect ?? 0;
      fillLane(kept.adverts, i, advert?.lane.items ?? NONE, advert?.lane.total ?? 0);

      let pathMax = 0;
      let words0 = 0;
      let words1 = 0;
      const matched: HopAgg[] = [];
      for (const length of lengths) {
        if (length > lower.length) break;
        const agg = hops.get(lower.slice(0, length));
        if (agg === undefined) continue;
        pathMax = Math.max(pathMax, maxOf(agg.evidence));
        // A confirmed node's explanation lists its adverts only; a matching hop is never
        // longer than a key (64 hex digits)
        if (advertMax < 2 && length <= 64) {
          matched.push(agg);
          if (length > 32) words1 |= 1 << ((length - 1) & 31);
          else words0 |= 1 << ((length - 1) & 31);
        }
      }
      kept.hopLengths[i * 2] = words0;
      kept.hopLengths[i * 2 + 1] = words1;
      if (matched.length <= 1) fillLane(kept.paths, i, matched[0]?.lane.items ?? NONE, matched[0]?.lane.total ?? 0);
      else mergeLanes(kept.paths, i, matched);
      kept.advertMax[i] = advertMax;
      kept.pathMax[i] = pathMax;
      kept.firstAdvert[i] = (lower === '' ? undefined : firstByKey.get(lower)) ?? Number.POSITIVE_INFINITY;
      let firstPath = Number.POSITIVE_INFINITY;
      for (const length of firstHopLengths) {
        if (length > lower.length) continue;
        const seen = firstByHop.get(lower.slice(0, length));
        if (seen !== undefined && seen < firstPath) firstPath = seen;
      }
      kept.firstPath[i] = firstPath;
      return { advertMax, pathMax };
    },
  };
}

const NONE: number[] = [];

/**
 * The newest EXPLAIN_LIMIT of several lanes (each newest first) into node `node`'s slots, in
 * one pass without sorting: a piece of evidence lies in one lane only (one hop of one row).
 */
function mergeLanes(lane: KeptEvidence['paths'], node: number, matched: readonly HopAgg[]): void {
  const base = node * EXPLAIN_LIMIT;
  const at = new Array<number>(matched.length).fill(0);
  let total = 0;
  for (const agg of matched) total += agg.lane.total;
  let filled = 0;
  while (filled < EXPLAIN_LIMIT) {
    let best = -1;
    for (let k = 0; k < matched.length; k++) {
      const items = matched[k]!.lane.items;
      const j = at[k]!;
      if (j >= items.length) continue;
      if (best < 0) {
        best = k;
        continue;
      }
      const b = matched[best]!.lane.items;
      const jb = at[best]!;
      if (before(items[j]!, items[j + 1]!, items[j + 2]!, b[jb]!, b[jb + 1]!, b[jb + 2]!)) best = k;
    }
    if (best < 0) break;
    const items = matched[best]!.lane.items;
    const j = at[best]!;
    lane.time[base + filled] = items[j]!;
    lane.rowid[base + filled] = items[j + 1]!;
    lane.hop[base + filled] = items[j + 2]!;
    at[best] = j + 3;
    filled++;
  }
  lane.filled[node] = filled;
  lane.oldest[node] = filled === 0 ? 0 : filled - 1;
  lane.total[node] = total;
}

function fillLane(lane: KeptEvidence['adverts'], node: number, items: number[], total: number): void {
  const base = node * EXPLAIN_LIMIT;
  const filled = items.length / 3;
  for (let j = 0; j < filled; j++) {
    lane.time[base + j] = items[j * 3]!;
    lane.rowid[base + j] = items[j * 3 + 1]!;
    lane.hop[base + j] = items[j * 3 + 2]!;
  }
  lane.filled[node] = filled;
  lane.oldest[node] = filled === 0 ? 0 : filled - 1;
  lane.total[node] = total;
}
