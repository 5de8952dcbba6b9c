// The SQLite side of `import`: one transaction per batch of decoded lines. A packet whose
// hash is already stored is a duplicate: counted, not stored, and its advert ignored.

import type { Database, Statement } from 'better-sqlite3';
import { hasColumn, hasTable, parseFirstSeen, type NodeRecord } from '@mbcap/dbschema';
import type { NodeUpsert, TransmissionRow } from './import-line.js';

export type DecodedLine = { row: TransmissionRow; node: NodeUpsert | null };

export type BatchCounts = {
  stored: number;
  duplicates: number;
  nodesCreated: number;
  nodesUpdated: number;
  inactiveUpdated: number;
};

type NodeTable = 'nodes' | 'inactive_nodes';
type StoredNode = Omit<NodeRecord, 'multibyte_sup' | 'multibyte_evidence'>;

export type ImportWriter = { write(batch: readonly DecodedLine[]): BatchCounts };

/** Prepares the statements; throws an Error naming what the database lacks. */
export function createImportWriter(db: Database): ImportWriter {
  // What this database has: legacy CoreScope ones may lack path_json or inactive_nodes
  for (const [table, column] of [
    ['transmissions', 'hash'],
    ['nodes', 'public_key'],
  ] as const) {
    if (!hasColumn(db, table, column)) {
      throw new Error(`the database has no ${table}.${column} column; run: mbcap-ingestor migrate --db ${db.name}`);
    }
  }
  const columns = ['raw_hex', 'hash', 'first_seen', 'route_type', 'payload_type', 'payload_version', 'decoded_json'];
  if (hasColumn(db, 'transmissions', 'path_json')) columns.push('path_json');
  const values = columns.map((c) => `@${c}`).join(', ');
  // Without a UNIQUE hash (a column added later cannot have one) duplicates are found by lookup.
  const insert = hashIsUnique(db)
    ? db.prepare(`INSERT OR IGNORE INTO main.transmissions (${columns.join(', ')}) VALUES (${values})`)
    : db.prepare(
        `INSERT INTO main.transmissions (${columns.join(', ')}) SELECT ${values} WHERE NOT EXISTS (SELECT 1 FROM main.transmissions WHERE hash = @hash)`,
      );
  const tables: NodeTable[] = hasTable(db, 'inactive_nodes') ? ['nodes', 'inactive_nodes'] : ['nodes'];
  const select = new Map<NodeTable, Statement>(
    tables.map((t) => [t, db.prepare(`SELECT public_key, name, role, lat, lon, last_seen, first_seen, advert_count FROM main.${t} WHERE public_key = ?`)]),
  );
  const update = new Map<NodeTable, Statement>(
    tables.map((t) => [
      t,
      db.prepare(
        `UPDATE main.${t} SET name = @name, role = @role, lat = @lat, lon = @lon, last_seen = @last_seen, first_seen = @first_seen, advert_count = @advert_count WHERE public_key = @public_key`,
      ),
    ]),
  );
  const create = db.prepare(
    'INSERT INTO main.nodes (public_key, name, role, lat, lon, last_seen, first_seen, advert_count) VALUES (@public_key, @name, @role, @lat, @lon, @seen, @seen, 1)',
  );
  const mixedCase = mixedCaseKeys(db, tables);

  function find(key: string): { table: NodeTable; row: StoredNode } | null {
    for (const table of tables) {
      const row = select.get(table)!.get(key) as StoredNode | undefined;
      if (row) return { table, row };
    }
    const other = mixedCase.get(key);
    if (other === undefined) return null;
    const row = select.get(other.table)!.get(other.key) as StoredNode | undefined;
    return row ? { table: other.table, row } : null;
  }

  function upsert(node: NodeUpsert, counts: BatchCounts): void {
    const found = find(node.public_key);
    if (found === null) {
      create.run(node);
      counts.nodesCreated++;
      return;
    }
    update.get(found.table)!.run(merge(found.row, node));
    if (found.table === 'nodes') counts.nodesUpdated++;
    else counts.inactiveUpdated++;
  }

  const writeBatch = db.transaction((batch: readonly DecodedLine[]): BatchCounts => {
    const counts: BatchCounts = { stored: 0, duplicates: 0, nodesCreated: 0, nodesUpdated: 0, inactiveUpdated: 0 };
    for (const { row, node } of batch) {
      // Named parameters the statement does not use (path_json on a legacy table) are ignored.
      if (insert.run(row).changes === 0) {
        counts.duplicates++;
        continue;
      }
      counts.stored++;
      if (node !== null) upsert(node, counts);
    }
    return counts;
  });

  return { write: (batch) => writeBatch.immediate(batch) };
}

/**
 * The row after one more advert: the newest advert (by time) sets name, role and location
 * (a field it lacks keeps the stored one); an older one only fills blanks. last_seen is the
 * latest time, first_seen the earliest, advert_count one more.
 */
function merge(row: StoredNode, node: NodeUpsert): StoredNode {
  const lastMs = parseFirstSeen(row.last_seen);
  const firstMs = parseFirstSeen(row.first_seen);
  const newest = lastMs === null || node.seenMs >= lastMs;
  const pick = <T>(mine: T | null, stored: T | null): T | null => (newest ? (mine ?? stored) : (stored ?? mine));
  const located = node.lat !== null && node.lon !== null && (newest || row.lat === null || row.lon === null);
  return {
    public_key: row.public_key,
    name: pick(node.name, row.name),
    role: pick(node.role, row.role),
    lat: located ? node.lat : row.lat,
    lon: located ? node.lon : row.lon,
    last_seen: newest ? node.seen : row.last_seen,
    first_seen: firstMs === null || node.seenMs < firstMs ? node.seen : row.first_seen,
    advert_count: (row.advert_count ?? 0) + 1,
  };
}

/** Stored keys that are not lowercase, by their lowercase form: few or none, found once. */
function mixedCaseKeys(db: Database, tables: readonly NodeTable[]): Map<string, { table: NodeTable; key: string }> {
  const map = new Map<string, { table: NodeTable; key: string }>();
  for (const table of tables) {
    const keys = db.prepare(`SELECT public_key FROM main.${table} WHERE public_key <> lower(public_key)`).pluck().all() as string[];
    for (const key of keys) if (!map.has(key.toLowerCase())) map.set(key.toLowerCase(), { table, key });
  }
  return map;
}

/** True when a UNIQUE index covers exactly transmissions.hash. */
function hashIsUnique(db: Database): boolean {
  const indexes = db.prepare("SELECT name, \"unique\" AS isUnique FROM pragma_index_list('transmissions', 'main')").all() as {
    name: string;
    isUnique: number;
  }[];
  return indexes.some(({ name, isUnique }) => {
    if (!isUnique) return false;
    const cols = db.prepare("SELECT name FROM pragma_index_info(?, 'main')").pluck().all(name) as (string | null)[];
    return cols.length === 1 && cols[0]?.toLowerCase() === 'hash';
  });
}
