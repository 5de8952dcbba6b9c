// One node's explanation from what the last cycle kept (kept.ts): no scan, a few rows read by
// rowid. It must equal explainNode's scan over the same database at the cycle's time; a
// differential test holds them equal. Rows deleted since the cycle are left out of the lists.
import { peekPacket } from '@mbcap/meshcore';
import { evidenceHops, payloadTypeOf } from './capability.js';
import type { ServerDatabase } from './database.js';
import { assemble, type AdvertEvidence, type ExplainPacketRow, type PathEvidence } from './explain.js';
import { wantedKey, withStored, type NodeExplanation, type StoredNode } from './explain-node.js';
import { keptSlots, matchedLengths, type KeptEvidence } from './kept.js';
import type { NodeTable } from './node-keys.js';

// By the key list, which stays the same object while the nodes do (patches change the rest;
// nodes added are appended to it, and indexed on the next look)
const byKeyCache = new WeakMap<readonly string[], { map: Map<string, number>; indexed: number }>();

/** The node index of each lowercase key; the first of case variants, as the scan finds it. */
function indexOf(kept: KeptEvidence): Map<string, number> {
  let cached = byKeyCache.get(kept.keys);
  if (cached === undefined) {
    cached = { map: new Map(), indexed: 0 };
    byKeyCache.set(kept.keys, cached);
  }
  for (let i = cached.indexed; i < kept.keys.length; i++) {
    const key = kept.keys[i]!.toLowerCase();
    if (!cached.map.has(key)) cached.map.set(key, i);
  }
  cached.indexed = kept.keys.length;
  return cached.map;
}

/** null when no node of the cycle has `key` or its row is gone; MalformedKeyError when it cannot be a key. */
export function explainKept(source: ServerDatabase, kept: KeptEvidence, key: string): NodeExplanation | null {
  const node = indexOf(kept).get(wantedKey(key));
  if (node === undefined) return null;
  const publicKey = kept.keys[node]!;
  const stored = storedNode(source, publicKey);
  if (stored === null) return null;

  // The kept rows, read by rowid
  const advertSlots = keptSlots(kept.adverts, node);
  const pathSlots = keptSlots(kept.paths, node);
  const rows = rowsById(
    source,
    [...advertSlots, ...pathSlots].map((s) => s.rowid),
  );
  const adverts: AdvertEvidence[] = [];
  for (const slot of advertSlots) {
    const row = rows.get(slot.rowid);
    const packet = row === undefined ? null : peekPacket(row.raw_hex);
    if (row !== undefined && packet !== null)
      adverts.push({ hash: row.hash, first_seen: row.first_seen, routeType: packet.routeType, hashSize: packet.hashSize });
  }
  const paths: PathEvidence[] = [];
  for (const slot of pathSlots) {
    const row = rows.get(slot.rowid);
    const packet = row === undefined ? null : peekPacket(row.raw_hex);
    if (row === undefined || packet === null) continue;
    const type = payloadTypeOf(row, packet);
    const hop = evidenceHops(row, packet, type)?.[slot.hop];
    if (typeof hop === 'string') paths.push({ hash: row.hash, first_seen: row.first_seen, payloadType: type, hashSize: packet.hashSize, hop });
  }

  const lower = publicKey.toLowerCase();
  const size = (s: number) => kept.bySize[node * 3 + s - 1]!;
  const explanation = assemble({
    public_key: publicKey,
    advertMax: kept.advertMax[node]!,
    pathMax: kept.pathMax[node]!,
    adverts: { total: kept.adverts.total[node]!, newest: adverts },
    paths: { total: kept.paths.total[node]!, newest: paths },
    matchedHops: matchedLengths(kept, node).map((length) => lower.slice(0, length)),
    bySize: { '1': size(1), '2': size(2), '3': size(3) },
    zeroHopDirect: kept.zeroHopDirect[node]!,
    nodeKeys: kept.keys,
  });
  return withStored(explanation, stored, { since: kept.since, computedAt: kept.computedAt });
}

/** The node's row now, by its key exactly as stored, in whichever table holds it. */
function storedNode(source: ServerDatabase, publicKey: string): StoredNode | null {
  const tables: NodeTable[] = source.hasInactive ? ['nodes', 'inactive_nodes'] : ['nodes'];
  for (const table of tables) {
    const row = source.db
      .prepare(`SELECT public_key, name, role, last_seen, multibyte_sup, multibyte_evidence FROM ${table} WHERE public_key = ?`)
      .get(publicKey) as StoredNode | undefined;
    if (row !== undefined) return { ...row, table };
  }
  return null;
}

function rowsById(source: ServerDatabase, ids: number[]): Map<number, ExplainPacketRow> {
  const rows = new Map<number, ExplainPacketRow>();
  const unique = [...new Set(ids)];
  if (unique.length === 0) return rows;
  const pathJson = source.hasPathJson ? 'path_json' : 'NULL AS path_json';
  const statement = source.db.prepare(
    `SELECT rowid AS rowid, raw_hex, payload_type, decoded_json, first_seen, ${pathJson}, hash FROM transmissions WHERE rowid IN (${unique.map(() => '?').join(',')})`,
  );
  for (const row of statement.all(...unique) as ExplainPacketRow[]) rows.set(row.rowid, row);
  return rows;
}
