import { decodePacket, PAYLOAD_TYPE, toHex } from '@mbcap/meshcore';

/** A row of `nodes` or `inactive_nodes`; `public_key` is kept exactly as stored. */
export type NodeRow = {
  public_key: string;
  name: string | null;
  role: string | null;
  last_seen: string | null;
  inactive?: boolean;
};

/** A row of `transmissions`; `path_json` is an optional column. */
export type PacketRow = {
  raw_hex: string;
  payload_type: number | null;
  decoded_json: string | null;
  path_json?: string | null;
  first_seen: string;
};

export type CapabilityStatus = 'confirmed' | 'suspected' | 'unknown';

export type CapabilityEntry = {
  public_key: string;
  status: CapabilityStatus;
  /** Absent for unknown, as the Go writer omits it. */
  evidence?: 'advert' | 'path';
  maxHashSize: number;
  name: string | null;
  role: string | null;
  lastSeen: string | null;
};

export type CapabilityOptions = {
  /** Packets whose first_seen is earlier are ignored; null or absent = no bound. */
  since?: Date | null;
};

export type CapabilityStats = {
  /** Rows given to add(). */
  packets: number;
  /** Rows whose first_seen parsed and lies inside the window. */
  inWindow: number;
  /** Rows not usable: first_seen unparseable, or header/path of raw_hex broken. */
  skipped: number;
};

export type CapabilityAccumulator = {
  add(row: PacketRow): void;
  finish(): CapabilityEntry[];
  stats(): CapabilityStats;
};

type KeyIndex = {
  /** Node indices by lowercase full key. */
  byKey: Map<string, number[]>;
  /** Node indices whose lowercase key starts with `hop` (already lowercase). */
  byPrefix(hop: string): number[] | undefined;
};

const STATUS_RANK: Record<CapabilityStatus, number> = { confirmed: 0, suspected: 1, unknown: 2 };

/**
 * The capability rules (DOMAIN.md) as a streaming accumulator: feed every packet row once,
 * in any order, then read one entry per node. Memory grows with the nodes, never the packets.
 *
 * - confirmed/advert: an ADVERT (payload_type 4, the column wins; NULL → header) with path
 *   hash size ≥ 2, whose key (decoded_json.pubKey, else the first 32 payload bytes) equals
 *   the node key ignoring case.
 * - suspected/path: not confirmed, and a hop of a non-TRACE packet with hash size ≥ 2 equals
 *   the node key's prefix of the hop's length, ignoring case. Every node sharing it counts.
 * - unknown: the rest.
 *
 * The hash size always comes from raw_hex's own path-length byte; path_json, when it is a
 * non-empty array of strings, only supplies the hops.
 */
export function createCapabilityAccumulator(
  nodes: readonly NodeRow[],
  options: CapabilityOptions = {},
): CapabilityAccumulator {
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

  function add(row: PacketRow): void {
    counts.packets++;

    // Window
    const time = parseFirstSeen(row.first_seen);
    if (time === null) {
      counts.skipped++;
      return;
    }
    if (sinceMs !== null && time < sinceMs) return;
    counts.inWindow++;

    // Header and path; 1-byte traffic is evidence of nothing
    const packet = decodePacket(row.raw_hex);
    if (packet === null) {
      counts.skipped++;
      return;
    }
    const size = packet.hashSize;
    if (size < 2) return;
    const type = row.payload_type ?? packet.payloadType;

    // Advert evidence
    if (type === PAYLOAD_TYPE.ADVERT) {
      const key = pubKeyOf(row.decoded_json) ?? (packet.payload.length >= 32 ? toHex(packet.payload.subarray(0, 32)) : null);
      if (key !== null) raise(advertMax, index.byKey.get(key.toLowerCase()), size);
    }

    // Path evidence; TRACE path bytes are SNR values, not hashes
    if (type === PAYLOAD_TYPE.TRACE) return;
    for (const hop of hopsOf(row.path_json, packet.hops)) {
      if (typeof hop === 'string' && hop !== '') raise(pathMax, index.byPrefix(hop.toLowerCase()), size);
    }
  }

  function finish(): CapabilityEntry[] {
    const entries = nodes.map((node, i): CapabilityEntry => {
      const fromAdvert = advertMax[i]!;
      const fromPath = pathMax[i]!;
      const status: CapabilityStatus = fromAdvert >= 2 ? 'confirmed' : fromPath >= 2 ? 'suspected' : 'unknown';
      return {
        public_key: node.public_key,
        status,
        ...(status === 'confirmed' ? { evidence: 'advert' } : status === 'suspected' ? { evidence: 'path' } : {}),
        maxHashSize: fromAdvert || fromPath || 1,
        name: node.name ?? null,
        role: node.role ?? null,
        lastSeen: node.last_seen ?? null,
      };
    });
    return entries.sort(
      (a, b) =>
        STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
        (a.public_key < b.public_key ? -1 : a.public_key > b.public_key ? 1 : 0),
    );
  }

  return { add, finish, stats: () => ({ ...counts }) };
}

function raise(sizes: Uint8Array, ids: readonly number[] | undefined, size: number): void {
  if (ids === undefined) return;
  for (const id of ids) if (sizes[id]! < size) sizes[id] = size;
}

/** Key indices by lowercase full key, and by lowercase prefix: 1-3 bytes eagerly, other lengths on first use. */
function indexKeys(nodes: readonly NodeRow[]): KeyIndex {
  const keys = nodes.map((node) => (typeof node.public_key === 'string' ? node.public_key.toLowerCase() : ''));
  const longest = keys.reduce((max, key) => Math.max(max, key.length), 0);
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
    byPrefix: (hop) => (hop.length > longest ? undefined : (byLength.get(hop.length) ?? build(hop.length)).get(hop)),
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

/** path_json's hops when it holds a non-empty array of strings, else the hops of raw_hex. */
function hopsOf(pathJson: string | null | undefined, fromRaw: readonly string[]): readonly string[] {
  if (typeof pathJson !== 'string' || pathJson === '' || pathJson === '[]') return fromRaw;
  try {
    const value: unknown = JSON.parse(pathJson);
    if (Array.isArray(value) && value.length > 0 && value.every((hop) => typeof hop === 'string')) return value;
  } catch {
    // Unreadable path_json: the raw bytes still hold the path.
  }
  return fromRaw;
}

// 2026-03-18T09:03:20.704Z, 2026-03-26 20:56:05, …+02:00; no zone means UTC (SQLite datetime()).
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** Milliseconds since the epoch, or null when `text` is not an ISO 8601 date-time. */
export function parseFirstSeen(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = TIME.exec(text.trim());
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number, number, number, number, number, number,
  ];
  const ms = Number(((m[7] ?? '') + '000').slice(0, 3));
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year);
  // Date.UTC rolls 02-30 over into March and 24:00 into the next day; refuse instead.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const offsetMinutes = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10] ?? 0));
  return date.getTime() - offsetMinutes * 60_000;
}
