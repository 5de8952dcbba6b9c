// One analytics cycle: every node's capability over the packets of the window, streamed
// from SQLite row by row so memory grows with the nodes, never with the packets.
import { createCapabilityAccumulator, type CapabilityEntry, type CapabilityStats, type NodeRow, type PacketRow } from './capability.js';
import type { ServerDatabase } from './database.js';

export type ComputeOptions = {
  /** How far back packets count, in ms; null = all of them. */
  windowMs: number | null;
  now?: number;
};

export type ComputeResult = {
  entries: CapabilityEntry[];
  stats: CapabilityStats;
  counts: { confirmed: number; suspected: number; unknown: number };
  computedAt: string;
  windowStart: string | null;
};

export function computeCapabilities(source: ServerDatabase, options: ComputeOptions): ComputeResult {
  const now = options.now ?? Date.now();
  const since = options.windowMs === null ? null : new Date(now - options.windowMs);
  const { db } = source;

  // Nodes of both tables, keys exactly as stored
  const nodeColumns = 'public_key, name, role, last_seen';
  const nodes = db.prepare(`SELECT ${nodeColumns} FROM nodes`).all() as NodeRow[];
  if (source.hasInactive) {
    for (const row of db.prepare(`SELECT ${nodeColumns} FROM inactive_nodes`).iterate() as Iterable<NodeRow>) nodes.push({ ...row, inactive: true });
  }

  // Packets: first_seen comes in several text shapes (zones, a space for the T), so the
  // window is decided by the accumulator on parsed times, never by SQL string comparison.
  const accumulator = createCapabilityAccumulator(nodes, { since });
  const columns = `raw_hex, payload_type, decoded_json, first_seen${source.hasPathJson ? ', path_json' : ''}`;
  for (const row of db.prepare(`SELECT ${columns} FROM transmissions`).iterate() as Iterable<PacketRow>) accumulator.add(row);

  const entries = accumulator.finish();
  const counts = { confirmed: 0, suspected: 0, unknown: 0 };
  for (const entry of entries) counts[entry.status]++;
  return { entries, stats: accumulator.stats(), counts, computedAt: new Date(now).toISOString(), windowStart: since?.toISOString() ?? null };
}
