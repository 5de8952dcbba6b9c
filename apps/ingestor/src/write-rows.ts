// Writes a snapshot's entries into nodes / inactive_nodes, touching only rows whose value
// changes, and never lowering one (the rule is rises.ts: a row holding a higher sup is kept
// and counted as keptHigher). Two ways to find the rows, chosen by size:
//
// - scan: for a snapshot about as large as the tables (the server publishes every node),
//   one UPDATE per table walks the table once and asks, row by row, whether the snapshot
//   changes it (SQL functions over an index of the snapshot's keys). Matching and writing
//   happen inside SQLite's own loop: no row comes out to JavaScript, no statement is run
//   per row, and a row that already holds its value is not written. Calls into JavaScript
//   are what it costs (about a microsecond each), so there are two per written row and
//   one per other row.
// - lookup: for a small snapshot, one indexed lookup per entry, then an update by rowid.
//
// Keys are matched exactly as stored. An entry the scan did not match goes through the
// lookup as well, so a table declared with another collation still gets its rows.
//
// A key given more than once is written with its strongest entry, whatever the order:
// confirmed over suspected, then evidence advert over path over none; unknown is never
// written (the rank is mbcapRank, defined once beside the codes; the index applies it).
//
// The write lock is held from the first row to the commit, so the work checks a deadline
// every few thousand rows and throws ApplyTimeoutError past it; the caller's transaction
// then rolls back and nothing is written.
import type { Database, Statement } from 'better-sqlite3';
import { hasTable } from '@mbcap/dbschema';
import { KeyIndex, type EntryTable } from '@mbcap/handoff/packed';
import { mbcapParts, mbcapRank } from '@mbcap/snapshot';
import { CURRENT, EVIDENCE_OF, KEPT_HIGHER, STATE_SQL, SUP_OF, verdict, WRITE } from './rises.js';

export type RowCounts = { updatedActive: number; updatedInactive: number; alreadyCurrent: number; keptHigher: number; skipped: number; notFound: number };

export type WriteOptions = {
  /** When to give up, on `clock`: past it the write throws ApplyTimeoutError. */
  deadline?: number;
  /** The clock of the deadline (default performance.now). */
  clock?: () => number;
};

/** The write went past its deadline; thrown from inside the statements, so the transaction rolls back. */
export class ApplyTimeoutError extends Error {
  readonly code = 'APPLY_TIMEOUT';
  constructor(readonly rowsSeen: number) {
    super(`the apply went past its time limit after ${rowsSeen} rows`);
    this.name = 'ApplyTimeoutError';
  }
}

/** Rows (or entries) between two looks at the clock. */
const ROWS_PER_CHECK = 4096;

const CODES = Array.from({ length: 9 }, (_, code) => mbcapParts(code));
const UNKNOWN = CODES.map(({ status }) => status === 'unknown');
/** code → (multibyte_sup, multibyte_evidence), as SQL rows */
const VALUES = 'VALUES ' + CODES.map((_, code) => `(${code}, ${SUP_OF[code]}, ${EVIDENCE_OF[code] === null ? 'NULL' : `'${EVIDENCE_OF[code]}'`})`).join(', ');

/** What the SQL functions of the scan see: the apply in progress. */
type Scan = {
  table: EntryTable;
  index: KeyIndex;
  /** matched[i]: 0 not seen, else 1 + the table (0 nodes, 1 inactive_nodes) whose row it matched */
  matched: Uint8Array;
  counts: RowCounts;
  /** The rows the WHERE clause chose, in the order it chose them, and their codes. */
  rowids: Float64Array;
  codes: Uint8Array;
  chosen: number;
  /** Where the SET clause is in that list. */
  at: number;
  /** Rows asked about so far, and the time limit. */
  rows: number;
  time: Deadline;
};

type Deadline = { at: number; clock: () => number };

function checkTime(time: Deadline, rowsSeen: number): void {
  if (time.clock() > time.at) throw new ApplyTimeoutError(rowsSeen);
}

type Table = { name: 'nodes' | 'inactive_nodes'; scan: Statement; update: Statement };
type Prepared = { tables: Table[]; lookup: Statement; size: Statement; current: { scan: Scan | null } };

const prepared = new WeakMap<Database, Prepared>();

/**
 * The code the WHERE clause chose for this row. SQLite computes the SET values row by row
 * in the order the WHERE clause chose the rows, so this is the current entry of the list
 * or the next; anything else is searched for (binary search: a table scan chooses rows in
 * rowid order; else one by one). A row not in the list aborts the apply: it rolls back.
 */
function chosenCode(scan: Scan, rowid: number): number {
  if (scan.rowids[scan.at] !== rowid) {
    if (scan.rowids[scan.at + 1] === rowid) scan.at++;
    else {
      let lo = 0;
      let hi = scan.chosen - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (scan.rowids[mid]! < rowid) lo = mid + 1;
        else hi = mid;
      }
      if (scan.rowids[lo] !== rowid) lo = scan.rowids.subarray(0, scan.chosen).indexOf(rowid);
      if (lo < 0) throw new Error(`mbcap: row ${rowid} was not chosen by the WHERE clause`);
      scan.at = lo;
    }
  }
  return scan.codes[scan.at]!;
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
  // mbcap_changes(rowid, public_key, state, table): 1 when the snapshot raises or restates
  // this row's value with another one (rises.ts; the first row of that key across both
  // tables), else 0.
  db.function('mbcap_changes', options, (rowid: unknown, key: unknown, state: unknown, t: unknown) => {
    const scan = active();
    if (++scan.rows % ROWS_PER_CHECK === 0) checkTime(scan.time, scan.rows);
    if (typeof key !== 'string') return 0;
    const i = scan.index.find(key);
    if (i < 0 || scan.matched[i] !== 0) return 0;
    scan.matched[i] = (t as number) + 1;
    const code = scan.table.codeAt(i);
    const v = verdict(state as number, code);
    if (v !== WRITE) {
      if (v === CURRENT) scan.counts.alreadyCurrent++;
      else scan.counts.keptHigher++;
      return 0;
    }
    scan.rowids[scan.chosen] = rowid as number;
    scan.codes[scan.chosen++] = code;
    return 1;
  });
  // mbcap_chosen(rowid): the code chosen for that row, turned into the values to write by
  // a lookup in a constant table: one call per written row, no key to convert again
  db.function('mbcap_chosen', options, (rowid: unknown) => chosenCode(active(), rowid as number));

  const names = hasTable(db, 'inactive_nodes') ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const tables = names.map((name, t) => ({
    name,
    scan: db.prepare(`UPDATE ${name} SET (multibyte_sup, multibyte_evidence) = (SELECT column2, column3 FROM (${VALUES}) WHERE column1 = mbcap_chosen(${name}.rowid)) WHERE mbcap_changes(rowid, public_key, ${STATE_SQL}, ${t})`),
    update: db.prepare(`UPDATE ${name} SET multibyte_sup = ?, multibyte_evidence = ? WHERE rowid = ?`),
  }));
  const lookup = db
    .prepare(names.map((name, t) => `SELECT ${t} AS t, rowid, ${STATE_SQL} FROM ${name} WHERE public_key = ?`).join(' UNION ALL ') + ' LIMIT 1')
    .raw();
  // max(rowid) is O(log n), unlike count(*): enough to tell a small snapshot from a full one.
  const size = db.prepare(`SELECT ${names.map((name) => `(SELECT coalesce(max(rowid), 0) FROM ${name})`).join(' + ')}`).pluck();
  p = { tables, lookup, size, current };
  prepared.set(db, p);
  return p;
}

/** Writes the entries; call inside the apply's transaction. */
export function writeRows(db: Database, table: EntryTable, counts: RowCounts, options: WriteOptions = {}): void {
  const p = prepare(db);
  const time: Deadline = { at: options.deadline ?? Infinity, clock: options.clock ?? (() => performance.now()) };

  // What to write: the strongest entry of each key (unknown is never written)
  for (let i = 0; i < table.length; i++) if (UNKNOWN[table.codeAt(i)]) counts.skipped++;
  const index = new KeyIndex(table, { rank: mbcapRank });
  if (index.size === 0) return;
  checkTime(time, 0);

  const matched = new Uint8Array(table.length);
  let rows = 0;
  if (index.size * 4 >= (p.size.get() as number)) {
    // Scan: a key in both tables is written in nodes only, as the lookup would
    const scan: Scan = { table, index, matched, counts, rowids: new Float64Array(index.size), codes: new Uint8Array(index.size), chosen: 0, at: 0, rows: 0, time };
    p.current.scan = scan;
    try {
      counts.updatedActive += p.tables[0]!.scan.run().changes;
      scan.chosen = scan.at = 0;
      if (p.tables[1]) counts.updatedInactive += p.tables[1].scan.run().changes;
    } finally {
      p.current.scan = null;
    }
    rows = scan.rows;
  }

  // Lookup: one indexed search per entry the scan did not match (or every entry)
  const keys = p.tables.map(() => '');
  index.forEach((i) => {
    if (matched[i] !== 0) return;
    if (++rows % ROWS_PER_CHECK === 0) checkTime(time, rows);
    keys.fill(table.keyAt(i));
    const row = p.lookup.get(...keys) as [number, number, number] | undefined;
    const code = table.codeAt(i);
    if (row === undefined) {
      counts.notFound++;
      return;
    }
    const v = verdict(row[2], code);
    if (v === CURRENT) counts.alreadyCurrent++;
    else if (v === KEPT_HIGHER) counts.keptHigher++;
    else {
      p.tables[row[0]]!.update.run(SUP_OF[code], EVIDENCE_OF[code], row[1]);
      if (row[0] === 0) counts.updatedActive++;
      else counts.updatedInactive++;
    }
  });
}
