// Why one node has its status: the capability rules of capability.ts, applied to one node
// while keeping the packets that decided it. Pure: rows in, an explanation out.
import { isDirectRoute, PAYLOAD_TYPE, peekPacket } from '@mbcap/meshcore';
import { advertKeyOf, evidenceHops, isEvidence, payloadTypeOf, statusOf, type CapabilityStatus, type NodeRow, type PacketRow } from './capability.js';
import { parseFirstSeen } from '@mbcap/dbschema';
import type { MultibyteEvidence } from '@mbcap/snapshot';
import { EXPLAIN_LIMIT } from './kept.js';

const NODE_KEY = /^[0-9a-fA-F]{2,64}$/;

/** Whether `key` can name a node: 2 to 64 hex digits. */
export function isNodeKey(key: string): boolean {
  return NODE_KEY.test(key);
}

export type ExplainPacketRow = PacketRow & { hash: string; rowid: number };

export type AdvertEvidence = { hash: string; first_seen: string; routeType: number; hashSize: number };
export type PathEvidence = { hash: string; first_seen: string; payloadType: number; hashSize: number; hop: string };

export type Why =
  /** Its multi-byte adverts: how many, and the newest first. */
  | { adverts: number; newest: AdvertEvidence[] }
  /** The packets whose hop matched its prefix, and every other node sharing each matched prefix. */
  | { packets: number; newest: PathEvidence[]; sharing: { hop: string; nodes: string[] }[] }
  /** Its adverts by hash size; zero-hop direct ones say nothing and are counted apart. */
  | { adverts: number; bySize: Record<'1' | '2' | '3', number>; zeroHopDirect: number };

export type Explanation = {
  public_key: string;
  status: CapabilityStatus;
  evidence?: MultibyteEvidence;
  maxHashSize: number;
  why: Why;
};

export type ExplainOptions = { since?: Date | null };

type Kept<T> = { time: number; rowid: number; hop: number; item: T };

/**
 * Keeps the newest `limit` items, by time, then rowid, then hop index (kept.ts's order):
 * memory stays bounded whatever the packets.
 */
function newestOf<T>(limit: number) {
  let kept: Kept<T>[] = [];
  let total = 0;
  const order = (a: Kept<T>, b: Kept<T>) => b.time - a.time || b.rowid - a.rowid || a.hop - b.hop;
  return {
    add(entry: Kept<T>): void {
      total++;
      kept.push(entry);
      if (kept.length > 2 * limit) kept = kept.sort(order).slice(0, limit);
    },
    total: () => total,
    items: (): T[] =>
      kept
        .sort(order)
        .slice(0, limit)
        .map((k) => k.item),
  };
}

/**
 * A streaming explanation of `node` (one of `nodes`, which supply the prefix collisions):
 * feed every packet row once, in any order, then finish(). The rules are capability.ts's
 * own helpers, so status and maxHashSize equal what the accumulator computes.
 */
export function createExplainer(node: NodeRow, nodes: readonly NodeRow[], options: ExplainOptions = {}) {
  const key = node.public_key.toLowerCase();
  const sinceMs = options.since?.getTime() ?? null;
  let advertMax = 0;
  let pathMax = 0;
  const adverts = newestOf<AdvertEvidence>(EXPLAIN_LIMIT);
  const paths = newestOf<PathEvidence>(EXPLAIN_LIMIT);
  const matchedHops = new Set<string>();
  const bySize = { '1': 0, '2': 0, '3': 0 };
  let zeroHopDirect = 0;

  function add(row: ExplainPacketRow): void {
    // Window, then an intact header and path
    const time = parseFirstSeen(row.first_seen);
    if (time === null || (sinceMs !== null && time < sinceMs)) return;
    const packet = peekPacket(row.raw_hex);
    if (packet === null) return;
    const type = payloadTypeOf(row, packet);
    const evidence = isEvidence(packet);

    // Its own adverts, every size counted; the multi-byte ones are the evidence
    if (type === PAYLOAD_TYPE.ADVERT && advertKeyOf(row, packet)?.toLowerCase() === key) {
      if (packet.hopCount === 0 && isDirectRoute(packet.routeType)) zeroHopDirect++;
      else bySize[String(packet.hashSize) as '1' | '2' | '3']++;
      if (evidence) {
        advertMax = Math.max(advertMax, packet.hashSize);
        adverts.add({
          time,
          rowid: row.rowid,
          hop: 0,
          item: { hash: row.hash, first_seen: row.first_seen, routeType: packet.routeType, hashSize: packet.hashSize },
        });
      }
    }
    if (!evidence) return;

    // Hops equal to its prefix of their length
    const hops = evidenceHops(row, packet, type);
    if (hops === null) return;
    for (let h = 0; h < hops.length; h++) {
      const hop = hops[h];
      if (typeof hop !== 'string' || hop === '' || hop.length > key.length) continue;
      const lower = hop.toLowerCase();
      if (!key.startsWith(lower)) continue;
      pathMax = Math.max(pathMax, packet.hashSize);
      matchedHops.add(lower);
      paths.add({ time, rowid: row.rowid, hop: h, item: { hash: row.hash, first_seen: row.first_seen, payloadType: type, hashSize: packet.hashSize, hop } });
    }
  }

  function finish(): Explanation {
    return assemble({
      public_key: node.public_key,
      advertMax,
      pathMax,
      adverts: { total: adverts.total(), newest: adverts.items() },
      paths: { total: paths.total(), newest: paths.items() },
      matchedHops: [...matchedHops],
      bySize,
      zeroHopDirect,
      nodeKeys: nodes.map((n) => n.public_key),
    });
  }

  return { add, finish };
}

/** What is known of one node after the packets: the parts an explanation is made of. */
export type ExplanationParts = {
  public_key: string;
  advertMax: number;
  pathMax: number;
  adverts: { total: number; newest: AdvertEvidence[] };
  paths: { total: number; newest: PathEvidence[] };
  /** Lowercase hops that matched its prefix, in any order. */
  matchedHops: string[];
  bySize: Record<'1' | '2' | '3', number>;
  zeroHopDirect: number;
  /** Every node's key as stored, for the prefixes it shares. */
  nodeKeys: readonly string[];
};

/** The explanation from its parts: the status decides which evidence is shown. */
export function assemble(parts: ExplanationParts): Explanation {
  const { public_key, advertMax, pathMax, bySize, zeroHopDirect } = parts;
  const status = statusOf(advertMax, pathMax);
  const base = { public_key, status, maxHashSize: advertMax || pathMax || 1 };
  if (status === 'confirmed') return { ...base, evidence: 'advert', why: { adverts: parts.adverts.total, newest: parts.adverts.newest } };
  if (status === 'suspected') {
    const sharing = [...parts.matchedHops].sort().map((hop) => ({
      hop,
      // Sorted: the same list whatever order the nodes were read in
      nodes: parts.nodeKeys.filter((k) => k !== public_key && k.toLowerCase().startsWith(hop)).sort(),
    }));
    return { ...base, evidence: 'path', why: { packets: parts.paths.total, newest: parts.paths.newest, sharing } };
  }
  return { ...base, why: { adverts: bySize['1'] + bySize['2'] + bySize['3'] + zeroHopDirect, bySize: { ...bySize }, zeroHopDirect } };
}
