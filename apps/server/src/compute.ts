// One analytics cycle: every node's capability over the packets of the window, streamed
// from SQLite row by row so memory grows with the nodes, never with the packets.
import { createCapabilityAccumulator, type CapabilityEntry, type CapabilityStats, type NodeRow, type PacketRow } from './capability.js';
import type { ServerDatabase } from './database.js';
import type { KeptEvidence } from './kept.js';
import { packetScanSql, type ScanRow } from './scan.js';
import { createSkipCollector, keyProblem, type NodeTable, type SkippedRows } from './node-keys.js';

export type ComputeOptions = {
  /** How far back packets count, in ms; null = all of them. */
  windowMs: number | null;
  now?: number;
  /** Also keep what explains each node's status (for `run`'s API). */
  keep?: boolean;
  /** Read only the rows that can be evidence or an advert (scan.ts); false reads every row. Default true. */
  filter?: boolean;
};

export type ComputeResult = {
  entries: CapabilityEntry[];
  stats: CapabilityStats;
  counts: { confirmed: number; suspected: number; unknown: number };
  /** Node rows left out: their key cannot name a snapshot entry. */
  skippedRows: SkippedRows;
  computedAt: string;
  windowStart: string | null;
  /** With `keep`: what explains each node's status, else null. */
  kept: KeptEvidence | null;
};

/**
 * Nodes of both tables, keys exactly as stored; a row whose key no entry can carry is
 * counted and left out, so one bad row never stops the rest from being published.
 */
export function readNodes(source: ServerDatabase): { nodes: NodeRow[]; skipped: SkippedRows } {
  const nodes: NodeRow[] = [];
  const skipped = createSkipCollector();
  const tables: NodeTable[] = source.hasInactive ? ['nodes', 'inactive_nodes'] : ['nodes'];
  for (const table of tables) {
    for (const row of source.db.prepare(`SELECT public_key, name, role, last_seen FROM ${table}`).iterate() as Iterable<NodeRow>) {
      const problem = keyProblem(row.public_key);
      if (problem !== null) skipped.add(table, row.public_key, problem);
      else nodes.push(table === 'inactive_nodes' ? { ...row, inactive: true } : row);
    }
  }
  return { nodes, skipped: skipped.result() };
}

export function computeCapabilities(source: ServerDatabase, options: ComputeOptions): ComputeResult {
  const now = options.now ?? Date.now();
  const since = options.windowMs === null ? null : new Date(now - options.windowMs);
  const { db } = source;

  const { nodes, skipped } = readNodes(source);

  // Packets: first_seen comes in several text shapes (zones, a space for the T), so the
  // window is decided by the accumulator on parsed times, never by SQL string comparison.
  // Rows come as arrays (raw mode) into one reused object: no object per row. Filtered, the
  // accumulator's stats count only the rows that can be evidence or an advert.
  const accumulator = createCapabilityAccumulator(nodes, { since, keep: options.keep ? { now } : undefined });
  const row: PacketRow = { raw_hex: '', payload_type: null, decoded_json: null, first_seen: '', path_json: null, rowid: 0 };
  const rows = db.prepare(packetScanSql(source, { filter: options.filter ?? true }));
  for (const [rawHex, payloadType, decodedJson, firstSeen, path, rowid] of rows.raw().iterate() as Iterable<ScanRow>) {
    row.raw_hex = rawHex;
    row.payload_type = payloadType;
    row.decoded_json = decodedJson;
    row.first_seen = firstSeen;
    row.path_json = path;
    row.rowid = rowid;
    accumulator.add(row);
  }

  const entries = accumulator.finish();
  const counts = { confirmed: 0, suspected: 0, unknown: 0 };
  for (const entry of entries) counts[entry.status]++;
  return {
    entries,
    stats: accumulator.stats(),
    counts,
    skippedRows: skipped,
    computedAt: new Date(now).toISOString(),
    windowStart: since?.toISOString() ?? null,
    kept: accumulator.kept(),
  };
}
