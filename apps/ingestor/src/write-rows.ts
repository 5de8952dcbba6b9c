// Writes a snapshot's entries into nodes / inactive_nodes as the apply rule says
// (apply-rule.ts), in two steps, the first only reading:
//
// 1. Decide: find the row each entry names and what the entry does to it. Two ways to
//    find the rows, chosen by size:
//    - scan: for a snapshot about as large as the tables (the server publishes every
//      node), read each table once, a page of rows at a time in rowid order, and look
//      each row's key up in an index of the snapshot's keys (KeyIndex);
//    - lookup: for a small snapshot, one indexed search per entry.
//    The scan compares keys exactly, so it is taken only when both tables do; a legacy
//    table that declares a collation (COLLATE NOCASE) is searched by the lookup, which
//    compares keys as the table does. A row named by two entries (two cases of one key in
//    such a table) is decided once, by the stronger entry.
// 2. Write: one UPDATE by rowid per row whose value changes. Rows that hold their value,
//    or a higher one, are not written.
//
// Every decision is made before the first write, from the rows as they were, so the result
// does not depend on the order in which SQLite visits rows or evaluates a statement.
//
// The write lock is held from the first row to the commit, so the work checks a deadline
// every few thousand rows and throws ApplyTimeoutError past it; the caller's transaction
// then rolls back and nothing is written.
import type { Database, Statement } from 'better-sqlite3';
import { hasTable } from '@mbcap/dbschema';
import { KeyIndex, type EntryTable } from '@mbcap/snapshot';
import { CURRENT, entryRank, KEPT_HIGHER, ROW_STATE_SQL, verdict, WRITES } from './apply-rule.js';

export type RowCounts = { updatedActive: number; updatedInactive: number; alreadyCurrent: number; keptHigher: number; skipped: number; notFound: number };

export type WriteOptions = {
  /** When to give up, on `clock`: past it the write throws ApplyTimeoutError. */
  deadline?: number;
  /** The clock of the deadline (default performance.now). */
  clock?: () => number;
};

/** The write went past its deadline; thrown from inside the loops, so the transaction rolls back. */
export class ApplyTimeoutError extends Error {
  readonly code = 'APPLY_TIMEOUT';
  constructor(readonly rowsSeen: number) {
    super(`the apply went past its time limit after ${rowsSeen} rows`);
    this.name = 'ApplyTimeoutError';
  }
}

/** Rows (or entries) between two looks at the clock, and rows read per page of the scan. */
const ROWS_PER_CHECK = 4096;

/** Counts rows and entries, and looks at the clock every ROWS_PER_CHECK of them. */
class Steps {
  count = 0;
  constructor(
    readonly at: number,
    readonly clock: () => number,
  ) {}
  check(): void {
    if (this.clock() > this.at) throw new ApplyTimeoutError(this.count);
  }
  step(): void {
    if (++this.count % ROWS_PER_CHECK === 0) this.check();
  }
}

type Table = { name: 'nodes' | 'inactive_nodes'; page: Statement; update: Statement; exact: boolean };
type Prepared = { tables: Table[]; lookup: Statement; size: Statement };

const prepared = new WeakMap<Database, Prepared>();

/** True when the table compares public keys exactly: its definition declares no collation. */
function comparesExactly(db: Database, name: string): boolean {
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(name);
  return typeof sql === 'string' && !/\bCOLLATE\b/i.test(sql);
}

function prepare(db: Database): Prepared {
  let p = prepared.get(db);
  if (p) return p;
  const names = hasTable(db, 'inactive_nodes') ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const tables = names.map((name) => ({
    name,
    page: db.prepare(`SELECT rowid, public_key, ${ROW_STATE_SQL} FROM ${name} WHERE rowid > ? ORDER BY rowid LIMIT ${ROWS_PER_CHECK}`).raw(),
    update: db.prepare(`UPDATE ${name} SET multibyte_sup = ?, multibyte_evidence = ? WHERE rowid = ?`),
    exact: comparesExactly(db, name),
  }));
  const lookup = db
    .prepare(names.map((name, t) => `SELECT ${t} AS t, rowid, ${ROW_STATE_SQL} FROM ${name} WHERE public_key = ?`).join(' UNION ALL ') + ' LIMIT 1')
    .raw();
  // max(rowid) is O(log n), unlike count(*): enough to tell a small snapshot from a full one.
  const size = db.prepare(`SELECT ${names.map((name) => `(SELECT coalesce(max(rowid), 0) FROM ${name})`).join(' + ')}`).pluck();
  p = { tables, lookup, size };
  prepared.set(db, p);
  return p;
}

/** The rows of one table to write, and the code each gets. */
type Writes = { rowids: number[]; codes: number[] };

/** Writes the entries; call inside the apply's transaction. */
export function writeRows(db: Database, table: EntryTable, counts: RowCounts, options: WriteOptions = {}): void {
  const p = prepare(db);
  const steps = new Steps(options.deadline ?? Infinity, options.clock ?? (() => performance.now()));

  // The strongest entry of each key (unknown ranks 0: never written)
  for (let i = 0; i < table.length; i++) if (WRITES[table.codeAt(i)] === null) counts.skipped++;
  const index = new KeyIndex(table, { rank: entryRank });
  if (index.size === 0) return;
  steps.check();

  // 1. Decide, reading only
  const writes: Writes[] = p.tables.map(() => ({ rowids: [], codes: [] }));
  const tally = (t: number, rowid: number, state: number, code: number) => {
    const v = verdict(state, code);
    if (v === CURRENT) counts.alreadyCurrent++;
    else if (v === KEPT_HIGHER) counts.keptHigher++;
    else {
      writes[t]!.rowids.push(rowid);
      writes[t]!.codes.push(code);
    }
  };
  if (index.size * 4 >= (p.size.get() as number) && p.tables.every((t) => t.exact)) scan(p, table, index, counts, steps, tally);
  else lookup(p, table, index, counts, steps, tally);

  // 2. Write what was decided
  writes.forEach(({ rowids, codes }, t) => {
    const { update } = p.tables[t]!;
    for (let r = 0; r < rowids.length; r++) {
      steps.step();
      const value = WRITES[codes[r]!]!;
      update.run(value.sup, value.evidence, rowids[r]);
    }
    if (t === 0) counts.updatedActive += rowids.length;
    else counts.updatedInactive += rowids.length;
  });
}

type Tally = (t: number, rowid: number, state: number, code: number) => void;

/** Every row of each table, its key looked up in the index; an entry names the first row it matches. */
function scan(p: Prepared, table: EntryTable, index: KeyIndex, counts: RowCounts, steps: Steps, tally: Tally): void {
  const taken = new Uint8Array(table.length);
  let found = 0;
  p.tables.forEach(({ page }, t) => {
    let after = -Infinity;
    for (;;) {
      const rows = page.all(after) as [number, unknown, number][];
      if (rows.length === 0) break;
      for (const [rowid, key, state] of rows) {
        steps.step();
        if (typeof key !== 'string') continue;
        const i = index.find(key);
        if (i < 0 || taken[i] !== 0) continue;
        taken[i] = 1;
        found++;
        tally(t, rowid, state, table.codeAt(i));
      }
      after = rows[rows.length - 1]![0];
    }
  });
  counts.notFound += index.size - found;
}

/** One indexed search per entry, nodes first; a row several entries name is decided by the strongest. */
function lookup(p: Prepared, table: EntryTable, index: KeyIndex, counts: RowCounts, steps: Steps, tally: Tally): void {
  const named = new Map<string, { t: number; rowid: number; state: number; code: number }>();
  const keys = p.tables.map(() => '');
  index.forEach((i) => {
    steps.step();
    keys.fill(table.keyAt(i));
    const row = p.lookup.get(...keys) as [number, number, number] | undefined;
    if (row === undefined) {
      counts.notFound++;
      return;
    }
    const [t, rowid, state] = row;
    const code = table.codeAt(i);
    const held = named.get(`${t}:${rowid}`);
    if (held === undefined) named.set(`${t}:${rowid}`, { t, rowid, state, code });
    else if (entryRank(code) > entryRank(held.code)) held.code = code;
  });
  for (const { t, rowid, state, code } of named.values()) tally(t, rowid, state, code);
}
