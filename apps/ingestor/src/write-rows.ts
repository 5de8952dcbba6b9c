// Writes a snapshot's entries into nodes / inactive_nodes, touching only rows whose value
// changes. Two ways to find the rows, chosen by size:
//
// - scan: for a snapshot about as large as the tables (the server publishes every node),
//   one UPDATE per table walks the table once and asks, row by row, whether the snapshot
//   changes it (SQL functions over an index of the snapshot's keys). Matching and writing
//   happen inside SQLite's own loop: no row comes out to JavaScript, no statement is run
//   per row, and a row that already holds its value is not written.
// - lookup: for a small snapshot, one indexed lookup per entry, then an update by rowid.
//
// Keys are matched exactly as stored. An entry the scan did not match goes through the
// lookup as well, so a table declared with another collation still gets its rows.
import type { Database, Statement } from 'better-sqlite3';
import { hasTable, MULTIBYTE_SUP } from '@mbcap/dbschema';
import { KeyIndex, mbcapParts, type EntryTable } from '@mbcap/snapshot';

export type RowCounts = { updatedActive: number; updatedInactive: number; alreadyCurrent: number; skipped: number; notFound: number };

// A row's value as a number: 4 * multibyte_sup + 0 (no evidence), 1 (advert), 2 (path),
// 3 (anything else, always rewritten). A snapshot code (see mbcapParts) maps to the same.
const STATE = "coalesce(multibyte_sup, -1) * 4 + CASE WHEN multibyte_evidence IS NULL THEN 0 WHEN multibyte_evidence = 'advert' THEN 1 WHEN multibyte_evidence = 'path' THEN 2 ELSE 3 END";
const CODES = Array.from({ length: 9 }, (_, code) => mbcapParts(code));
const SUP_OF = CODES.map(({ status }) => MULTIBYTE_SUP[status]);
const EVIDENCE_OF = CODES.map(({ evidence }) => evidence ?? null);
const STATE_OF = CODES.map(({ status, evidence }) => MULTIBYTE_SUP[status] * 4 + (evidence === 'advert' ? 1 : evidence === 'path' ? 2 : 0));
const UNKNOWN = CODES.map(({ status }) => status === 'unknown');

/** What the SQL functions of the scan see: the apply in progress. */
type Scan = {
  table: EntryTable;
  index: KeyIndex;
  /** matched[i]: 0 not seen, else 1 + the table (0 nodes, 1 inactive_nodes) whose row it matched */
  matched: Uint8Array;
  counts: RowCounts;
  /** The last key the WHERE clause chose, and its code: the SET clause asks for it next. */
  lastKey: string | null;
  lastCode: number;
};

type Table = { name: 'nodes' | 'inactive_nodes'; scan: Statement; update: Statement };
type Prepared = { tables: Table[]; lookup: Statement; size: Statement; current: { scan: Scan | null } };

const prepared = new WeakMap<Database, Prepared>();

function codeOf(scan: Scan, key: string): number {
  if (key === scan.lastKey) return scan.lastCode;
  return scan.table.codeAt(scan.index.find(key));
}

function prepare(db: Database): Prepared {
  let p = prepared.get(db);
  if (p) return p;
  const current: Prepared['current'] = { scan: null };
  const active = () => {
    if (!current.scan) throw new Error('mbcap_* functions are only usable during an apply');
    return current.scan;
  };
  const options = { deterministic: false, directOnly: true } as const;
  // mbcap_changes(public_key, state, table): 1 when the snapshot has another value for this
  // row's key (the first row of that key across both tables), else 0.
  db.function('mbcap_changes', options, (key: unknown, state: unknown, t: unknown) => {
    const scan = active();
    if (typeof key !== 'string') return 0;
    const i = scan.index.find(key);
    if (i < 0 || scan.matched[i] !== 0) return 0;
    scan.matched[i] = (t as number) + 1;
    const code = scan.table.codeAt(i);
    if (STATE_OF[code] === state) {
      scan.counts.alreadyCurrent++;
      return 0;
    }
    scan.lastKey = key;
    scan.lastCode = code;
    return 1;
  });
  db.function('mbcap_sup', options, (key: unknown) => SUP_OF[codeOf(active(), key as string)]);
  db.function('mbcap_evidence', options, (key: unknown) => EVIDENCE_OF[codeOf(active(), key as string)]);

  const names = hasTable(db, 'inactive_nodes') ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const tables = names.map((name, t) => ({
    name,
    scan: db.prepare(`UPDATE ${name} SET multibyte_sup = mbcap_sup(public_key), multibyte_evidence = mbcap_evidence(public_key) WHERE mbcap_changes(public_key, ${STATE}, ${t})`),
    update: db.prepare(`UPDATE ${name} SET multibyte_sup = ?, multibyte_evidence = ? WHERE rowid = ?`),
  }));
  const lookup = db
    .prepare(names.map((name, t) => `SELECT ${t} AS t, rowid, ${STATE} FROM ${name} WHERE public_key = ?`).join(' UNION ALL ') + ' LIMIT 1')
    .raw();
  // max(rowid) is O(log n), unlike count(*): enough to tell a small snapshot from a full one.
  const size = db.prepare(`SELECT ${names.map((name) => `(SELECT coalesce(max(rowid), 0) FROM ${name})`).join(' + ')}`).pluck();
  p = { tables, lookup, size, current };
  prepared.set(db, p);
  return p;
}

/** Writes the entries; call inside the apply's transaction. */
export function writeRows(db: Database, table: EntryTable, counts: RowCounts): void {
  const p = prepare(db);

  // What to write: the last entry of each key that is not unknown (unknown is never written)
  for (let i = 0; i < table.length; i++) if (UNKNOWN[table.codeAt(i)]) counts.skipped++;
  const index = new KeyIndex(table, (i) => !UNKNOWN[table.codeAt(i)]);
  if (index.size === 0) return;

  const matched = new Uint8Array(table.length);
  if (index.size * 4 >= (p.size.get() as number)) {
    // Scan: a key in both tables is written in nodes only, as the lookup would
    p.current.scan = { table, index, matched, counts, lastKey: null, lastCode: 0 };
    try {
      counts.updatedActive += p.tables[0]!.scan.run().changes;
      if (p.tables[1]) counts.updatedInactive += p.tables[1].scan.run().changes;
    } finally {
      p.current.scan = null;
    }
  }

  // Lookup: one indexed search per entry the scan did not match (or every entry)
  const keys = p.tables.map(() => '');
  index.forEach((i) => {
    if (matched[i] !== 0) return;
    keys.fill(table.keyAt(i));
    const row = p.lookup.get(...keys) as [number, number, number] | undefined;
    const code = table.codeAt(i);
    if (row === undefined) counts.notFound++;
    else if (row[2] === STATE_OF[code]) counts.alreadyCurrent++;
    else {
      p.tables[row[0]]!.update.run(SUP_OF[code], EVIDENCE_OF[code], row[1]);
      if (row[0] === 0) counts.updatedActive++;
      else counts.updatedInactive++;
    }
  });
}
