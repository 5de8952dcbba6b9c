import { isDirectRoute, PAYLOAD_TYPE, peekHops, peekPacket, peekPayload, type PacketPeek as Packet } from '@mbcap/meshcore';
import { parseFirstSeen } from '@mbcap/dbschema';
import type { MultibyteEvidence, MultibyteStatus } from '@mbcap/snapshot';
import { createKeeper, type KeptEvidence } from './kept.js';
import type { NodeTable } from './node-keys.js';

/** A row of `nodes` or `inactive_nodes`; `public_key` is kept exactly as stored. */
export type NodeRow = {
  public_key: string;
  name: string | null;
  role: string | null;
  last_seen: string | null;
  /** A row of inactive_nodes; the rules treat both tables alike. */
  inactive?: boolean;
};

/** A row of `transmissions`; `path_json` is an optional column. */
export type PacketRow = {
  raw_hex: string;
  payload_type: number | null;
  decoded_json: string | null;
  path_json?: string | null;
  first_seen: string;
  /** The row's rowid; read only when the accumulator keeps evidence. */
  rowid?: number;
};

export type CapabilityStatus = MultibyteStatus;

export type CapabilityEntry = {
  public_key: string;
  status: CapabilityStatus;
  /** Absent for unknown, as the Go writer omits it. */
  evidence?: MultibyteEvidence;
  /** Largest hash size of its adverts (≥ 2), else of its path evidence, else 1. */
  maxHashSize: number;
  name: string | null;
  role: string | null;
  lastSeen: string | null;
  /** The table that holds the node's row. */
  table: NodeTable;
};

/** A node's largest hash size: of its adverts, else of its path evidence, else 1 (0 = none seen). */
export function maxHashSizeOf(fromAdvert: number, fromPath: number): number {
  return fromAdvert || fromPath || 1;
}

export type CapabilityOptions = {
  /** Packets whose first_seen is earlier are ignored; null or absent = no bound. */
  since?: Date | null;
  /** Also keep, per node, what explains its status (kept.ts); `now` is the cycle's time. */
  keep?: { now: number };
};

/**
 * packets: rows given to add(); inWindow: rows whose first_seen lies inside the window;
 * skipped: rows not usable (first_seen unparseable, or the header or path of raw_hex broken).
 * Each counts only the rows given: compute.ts gives only adverts and multi-byte packets.
 */
export type CapabilityStats = { packets: number; inWindow: number; skipped: number };

export type CapabilityAccumulator = {
  add(row: PacketRow): void;
  finish(): CapabilityEntry[];
  stats(): CapabilityStats;
  /** What explains each node's status, when asked for with `keep`; call after finish(). */
  kept(): KeptEvidence | null;
};

const STATUS_RANK: Record<CapabilityStatus, number> = { confirmed: 0, suspected: 1, unknown: 2 };

/**
 * The capability rules (docs/capability.md) as a streaming accumulator: feed every packet row once,
 * in any order, then read one entry per node. Memory grows with the nodes, never the packets.
 *
 * - confirmed/advert: an ADVERT (payload_type 4, the column wins; NULL → header) with path
 *   hash size ≥ 2, whose key (decoded_json.pubKey, else the first 32 payload bytes) equals
 *   the node key ignoring case.
 * - suspected/path: not confirmed, and a hop of a packet other than TRACE (9) with hash size
 *   ≥ 2 equals the node key's prefix of the hop's length, ignoring case. Every node sharing
 *   it counts. PATH (8) packets count: relays write their own hashes into them.
 * - unknown: the rest.
 *
 * The hash size always comes from raw_hex's own path-length byte; path_json, when it is a
 * non-empty array of strings, only supplies the hops. A zero-hop direct packet (route 2 or
 * 3) is evidence of nothing: firmware sends it with path byte 0x00 whatever its setting.
 */
export function createCapabilityAccumulator(nodes: readonly NodeRow[], options: CapabilityOptions = {}): CapabilityAccumulator {
  // Interpret options
  if (!Array.isArray(nodes)) throw new TypeError('Expected "nodes" to be an array of node rows');
  const since = options.since ?? null;
  if (since !== null && !(since instanceof Date && Number.isFinite(since.getTime()))) {
    throw new TypeError(`Expected the "since" option to be a valid Date or null, got ${String(since)}`);
  }
  const sinceMs = since === null ? null : since.getTime();

  const index = indexKeys(nodes);
  // Largest hash size per node (0 = none), as advert and as path evidence.
  const advertMax = new Uint8Array(nodes.length);
  const pathMax = new Uint8Array(nodes.length);
  const counts: CapabilityStats = { packets: 0, inWindow: 0, skipped: 0 };
  const keeper =
    options.keep === undefined
      ? null
      : createKeeper(
          nodes.map((node) => node.public_key),
          sinceMs,
          options.keep.now,
          advertMax,
        );

  function add(row: PacketRow): void {
    // Window; a kept state also notes, over every packet, when each node's multi-byte
    // evidence was first seen (adoption.ts), so rows before the window are read for that alone
    counts.packets++;
    const time = parseFirstSeen(row.first_seen);
    if (time === null) {
      counts.skipped++;
      return;
    }
    const inWindow = sinceMs === null || time >= sinceMs;
    if (!inWindow && keeper === null) return;
    if (inWindow) counts.inWindow++;

    // Header and path; 1-byte traffic is evidence of nothing (but a kept explanation
    // counts a node's adverts of every size)
    const raw = row.raw_hex;
    const packet = peekPacket(raw);
    if (packet === null) {
      if (inWindow) counts.skipped++;
      return;
    }
    const evidence = isEvidence(packet);
    if (!evidence && (keeper === null || !inWindow)) return;
    const size = packet.hashSize;
    const type = payloadTypeOf(row, packet);

    // Advert evidence: the payload is read only when decoded_json has no key
    if (type === PAYLOAD_TYPE.ADVERT) {
      const key = advertKeyOf(row, packet);
      const ids = key === null ? undefined : index.byKey.get(key.toLowerCase());
      if (!inWindow) keeper!.firstAdvert(ids, time);
      else {
        if (evidence) raise(advertMax, ids, size);
        keeper?.advert(ids, size, packet.hopCount === 0 && isDirectRoute(packet.routeType), evidence, time, row.rowid ?? 0);
      }
    }
    if (!evidence) return;

    // Path evidence; TRACE path bytes are SNR values, not hashes
    const hops = evidenceHops(row, packet, type);
    if (hops === null) return;
    for (let h = 0; h < hops.length; h++) {
      const hop = hops[h];
      if (typeof hop !== 'string' || hop === '') continue;
      const ids = index.byPrefix(hop.toLowerCase());
      if (!inWindow) keeper!.firstPath(ids, time, hop.length);
      else {
        raise(pathMax, ids, size);
        keeper?.path(ids, time, row.rowid ?? 0, h, hop.length);
      }
    }
  }

  function finish(): CapabilityEntry[] {
    return sortEntries(nodes.map((node, i) => entryOf(node, advertMax[i]!, pathMax[i]!)));
  }

  return { add, finish, stats: () => ({ ...counts }), kept: () => keeper?.finish(pathMax) ?? null };
}

/** A node's entry from the largest advert and path hash sizes seen (0 = none). */
export function entryOf(node: NodeRow, fromAdvert: number, fromPath: number): CapabilityEntry {
  const status = statusOf(fromAdvert, fromPath);
  return {
    public_key: node.public_key,
    status,
    ...(status === 'confirmed' ? { evidence: 'advert' } : status === 'suspected' ? { evidence: 'path' } : {}),
    maxHashSize: maxHashSizeOf(fromAdvert, fromPath),
    name: node.name ?? null,
    role: node.role ?? null,
    lastSeen: node.last_seen ?? null,
    table: node.inactive ? 'inactive_nodes' : 'nodes',
  };
}

/** Entries in snapshot order: confirmed, suspected, unknown, each by key. */
export function sortEntries(entries: CapabilityEntry[]): CapabilityEntry[] {
  return entries.sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || compareKeys(a, b));
}

/** The status from the largest advert and path hash sizes seen (0 = none). */
export function statusOf(advertSize: number, pathSize: number): CapabilityStatus {
  return advertSize >= 2 ? 'confirmed' : pathSize >= 2 ? 'suspected' : 'unknown';
}

/**
 * Whether an intact packet can be evidence at all: its hash size is ≥ 2 and it is not a
 * zero-hop direct send (route 2 or 3), which firmware sends with path byte 0x00 whatever
 * its setting.
 */
export function isEvidence(packet: Packet): boolean {
  return packet.hashSize >= 2 && !(packet.hopCount === 0 && isDirectRoute(packet.routeType));
}

/** The payload_type column; NULL → the header's. */
export function payloadTypeOf(row: PacketRow, packet: Packet): number {
  return row.payload_type ?? packet.payloadType;
}

/** An advert's public key as written: decoded_json.pubKey, else the first 32 payload bytes. */
export function advertKeyOf(row: PacketRow, packet: Packet): string | null {
  return pubKeyOf(row.decoded_json) ?? peekPayload(row.raw_hex, packet, 32);
}

/** The hops that can be path evidence (path_json, else raw_hex's), or null for TRACE. */
export function evidenceHops(row: PacketRow, packet: Packet, type: number): readonly unknown[] | null {
  if (type === PAYLOAD_TYPE.TRACE) return null;
  return hopsOf(row.path_json) ?? peekHops(row.raw_hex, packet);
}

function compareKeys(a: CapabilityEntry, b: CapabilityEntry): number {
  return a.public_key < b.public_key ? -1 : a.public_key > b.public_key ? 1 : 0;
}

function raise(sizes: Uint8Array, ids: readonly number[] | undefined, size: number): void {
  if (ids === undefined) return;
  for (const id of ids) if (sizes[id]! < size) sizes[id] = size;
}

/**
 * Key indices by lowercase full key, and by lowercase prefix: 1-3 bytes eagerly, other
 * lengths on first use. add() indexes one more node, the next index.
 */
export function indexKeys(nodes: readonly NodeRow[]) {
  const keys = nodes.map((node) => (typeof node.public_key === 'string' ? node.public_key.toLowerCase() : ''));
  let longest = keys.reduce((max, key) => Math.max(max, key.length), 0);
  const byKey = new Map<string, number[]>();
  keys.forEach((key, i) => key !== '' && push(byKey, key, i));
  const byLength = new Map<number, Map<string, number[]>>();
  const build = (length: number): Map<string, number[]> => {
    const map = new Map<string, number[]>();
    keys.forEach((key, i) => key.length >= length && push(map, key.slice(0, length), i));
    byLength.set(length, map);
    return map;
  };
  for (const length of [2, 4, 6]) build(length);
  return {
    byKey,
    // A hop longer than every key matches nothing; no index is built for it.
    byPrefix: (hop: string): number[] | undefined => (hop.length > longest ? undefined : (byLength.get(hop.length) ?? build(hop.length)).get(hop)),
    add(node: NodeRow): void {
      const key = typeof node.public_key === 'string' ? node.public_key.toLowerCase() : '';
      const id = keys.length;
      keys.push(key);
      longest = Math.max(longest, key.length);
      if (key !== '') push(byKey, key, id);
      for (const [length, map] of byLength) if (key.length >= length) push(map, key.slice(0, length), id);
    },
  };
}

function push(map: Map<string, number[]>, key: string, id: number): void {
  const ids = map.get(key);
  if (ids === undefined) map.set(key, [id]);
  else ids.push(id);
}

/** decoded_json.pubKey when it is a non-empty string, else null. */
function pubKeyOf(decodedJson: string | null): string | null {
  if (typeof decodedJson !== 'string' || decodedJson === '') return null;
  try {
    const value: unknown = JSON.parse(decodedJson);
    const pubKey = value !== null && typeof value === 'object' ? (value as { pubKey?: unknown }).pubKey : undefined;
    return typeof pubKey === 'string' && pubKey !== '' ? pubKey : null;
  } catch {
    return null;
  }
}

/** path_json's hops when it holds a non-empty array of strings, else null (use raw_hex's). */
function hopsOf(pathJson: string | null | undefined): readonly string[] | null {
  if (typeof pathJson !== 'string' || pathJson === '' || pathJson === '[]') return null;
  try {
    const value: unknown = JSON.parse(pathJson);
    if (Array.isArray(value) && value.length > 0 && value.every((hop) => typeof hop === 'string')) return value;
  } catch {
    // Unreadable path_json: the raw bytes still hold the path.
  }
  return null;
}
