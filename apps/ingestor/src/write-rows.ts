// Writes a snapshot's entries into nodes / inactive_nodes as the apply rule says
// (apply-rule.ts), in two steps, the first only reading:
//
// 1. Decide: find the row each entry names and what the entry does to it. Two ways to
//    find the rows, chosen by size:
//    - scan: for a snapshot about as large as the tables (the server publishes every
//      node), one SELECT per table shows each row (rowid, key, state) to a function that
//      looks the key up in an index of the snapshot's keys (KeyIndex); a call into
//      JavaScript costs less than bringing the row out as an array;
//    - lookup: for a small snapshot, one indexed search per entry.
//    The scan compares keys exactly, so it is taken only when both tables do; a legacy
//    table that declares a collation (COLLATE NOCASE) is searched by the lookup, which
//    compares keys as the table does. A row named by two entries (two cases of one key in
//    such a table) is decided once, by the stronger entry.
// 2. Write: the rows whose value changes, by rowid, those of one value together (a JSON
//    array of rowids a statement). Rows that hold their value, or a higher one, are not
//    written.
//
// Every decision is made before the first write, from the rows as they were, and does not
// depend on the order in which SQLite shows the rows: nothing relies on how SQLite orders
// the evaluation of a statement.
//
// The write lock is held from the first row to the commit, so the work checks a deadline
// every few thousand rows and throws ApplyTimeoutError past it; the caller's transaction
// then rolls back and nothing is written.
import type { Database, Statement } from 'better-sqlite3';
import { hasTable } from '@mbcap/dbschema';
import { KeyIndex, type EntryTable } from '@mbcap/handoff/packed';
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
  /** `n` rows done at once: one look at the clock. */
  advance(n: number): void {
    this.count += n;
    this.check();
  }
}

type Table = { name: 'nodes' | 'inactive_nodes'; visit: Statement; update: Statement; exact: boolean };
type Prepared = { tables: Table[]; lookup: Statement; size: Statement; visitor: { row: Visit | null } };

/** What the scan does with one row. */
type Visit = (rowid: number, key: unknown, state: number) => void;

const prepared = new WeakMap<Database, Prepared>();

/** True when the table compares public keys exactly: its definition declares no collation. */
function comparesExactly(db: Database, name: string): boolean {
  const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(name);
  return typeof sql === 'string' && !/\bCOLLATE\b/i.test(sql);
}

function prepare(db: Database): Prepared {
  let p = prepared.get(db);
  if (p) return p;
  // mbcap_visit(rowid, public_key, state): hands one row to the scan in progress. It only
  // collects (the scan decides from what it was shown, in any order); nothing is written
  // while it runs.
  const visitor: Prepared['visitor'] = { row: null };
  db.function('mbcap_visit', { deterministic: false, directOnly: true }, (rowid: unknown, key: unknown, state: unknown) => {
    if (!visitor.row) throw new Error('mbcap_visit is only usable during an apply');
    visitor.row(rowid as number, key, state as number);
    return 0;
  });
  const names = hasTable(db, 'inactive_nodes') ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const tables = names.map((name) => ({
    name,
    visit: db.prepare(`SELECT count(*) FROM ${name} WHERE mbcap_visit(rowid, public_key, ${ROW_STATE_SQL})`).pluck(),
    // The rowids come as a JSON array: SQLite seeks each one, no statement runs per row
    update: db.prepare(`UPDATE ${name} SET multibyte_sup = ?, multibyte_evidence = ? WHERE rowid IN (SELECT value FROM json_each(?))`),
    exact: comparesExactly(db, name),
  }));
  const lookup = db
    .prepare(`${names.map((name, t) => `SELECT ${t} AS t, rowid, ${ROW_STATE_SQL} FROM ${name} WHERE public_key = ?`).join(' UNION ALL ')} LIMIT 1`)
    .raw();
  // max(rowid) is O(log n), unlike count(*): enough to tell a small snapshot from a full one.
  const size = db.prepare(`SELECT ${names.map((name) => `(SELECT coalesce(max(rowid), 0) FROM ${name})`).join(' + ')}`).pluck();
  p = { tables, lookup, size, visitor };
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

  // 2. Write what was decided: the rows of one value together, a few thousand a statement
  writes.forEach(({ rowids, codes }, t) => {
    const { update } = p.tables[t]!;
    const byCode = WRITES.map((): number[] => []);
    for (let r = 0; r < rowids.length; r++) byCode[codes[r]!]!.push(rowids[r]!);
    byCode.forEach((chosen, code) => {
      const value = WRITES[code]!;
      for (let from = 0; from < chosen.length; from += ROWS_PER_CHECK) {
        const part = chosen.slice(from, from + ROWS_PER_CHECK);
        update.run(value.sup, value.evidence, JSON.stringify(part));
        steps.advance(part.length);
      }
    });
    if (t === 0) counts.updatedActive += rowids.length;
    else counts.updatedInactive += rowids.length;
  });
}

type Tally = (t: number, rowid: number, state: number, code: number) => void;

/** Every row of each table, its key looked up in the index; an entry names the first row it matches. */
function scan(p: Prepared, table: EntryTable, index: KeyIndex, counts: RowCounts, steps: Steps, tally: Tally): void {
  const taken = new Uint8Array(table.length);
  let found = 0;
  p.tables.forEach(({ visit }, t) => {
    p.visitor.row = (rowid, key, state) => {
      steps.step();
      if (typeof key !== 'string') return;
      const i = index.find(key);
      if (i < 0 || taken[i] !== 0) return;
      taken[i] = 1;
      found++;
      tally(t, rowid, state, table.codeAt(i));
    };
    try {
      visit.get();
    } finally {
      p.visitor.row = null;
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
