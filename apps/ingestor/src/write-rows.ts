// Writes a snapshot's entries into nodes / inactive_nodes, touching only rows whose value
// changes. Two ways to find the rows, chosen by size:
//
// - scan: for a snapshot about as large as the tables (the server publishes every node),
//   read both tables once in rowid order, match keys in a Map of the entries, then update
//   the changed rows by rowid, in rowid order. One sequential read instead of a B-tree
//   search per entry, and no write for a row that already holds its value.
// - lookup: for a small snapshot, one indexed lookup per entry, then an update by rowid.
//
// Keys are matched exactly as stored. An entry the scan did not match goes through the
// lookup as well, so a table declared with another collation still gets its rows.
import type { Database, Statement } from 'better-sqlite3';
import { hasTable, MULTIBYTE_SUP } from '@mbcap/dbschema';
import type { MbcapEntry } from '@mbcap/snapshot';

export type RowCounts = { updatedActive: number; updatedInactive: number; alreadyCurrent: number; skipped: number; notFound: number };

type Table = { name: 'nodes' | 'inactive_nodes'; scan: Statement; update: Statement };
type Prepared = { tables: Table[]; lookup: Statement; size: Statement };

const prepared = new WeakMap<Database, Prepared>();

// A row's value as a number: 4 * multibyte_sup + 0 (no evidence), 1 (advert), 2 (path),
// 3 (anything else, always rewritten). An entry's value encoded the same way.
const STATE = "coalesce(multibyte_sup, -1) * 4 + CASE WHEN multibyte_evidence IS NULL THEN 0 WHEN multibyte_evidence = 'advert' THEN 1 WHEN multibyte_evidence = 'path' THEN 2 ELSE 3 END";
const EVIDENCE_CODE = { advert: 1, path: 2 } as const;
const stateOf = (e: MbcapEntry) => MULTIBYTE_SUP[e.status as 'confirmed' | 'suspected'] * 4 + (e.evidence ? EVIDENCE_CODE[e.evidence] : 0);

function prepare(db: Database): Prepared {
  let p = prepared.get(db);
  if (p) return p;
  const names = hasTable(db, 'inactive_nodes') ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const tables = names.map((name) => ({
    name,
    // The current value as one number (sup * 4 + evidence code) spares a string per row.
    scan: db.prepare(`SELECT rowid, public_key, ${STATE} FROM ${name}`).raw(),
    update: db.prepare(`UPDATE ${name} SET multibyte_sup = ?, multibyte_evidence = ? WHERE rowid = ?`),
  }));
  const lookup = db
    .prepare(names.map((name, t) => `SELECT ${t} AS t, rowid, multibyte_sup, multibyte_evidence FROM ${name} WHERE public_key = ?`).join(' UNION ALL ') + ' LIMIT 1')
    .raw();
  // max(rowid) is O(log n), unlike count(*): enough to tell a small snapshot from a full one.
  const size = db.prepare(`SELECT ${names.map((name) => `(SELECT coalesce(max(rowid), 0) FROM ${name})`).join(' + ')}`).pluck();
  p = { tables, lookup, size };
  prepared.set(db, p);
  return p;
}

/** Writes the entries; call inside the apply's transaction. */
export function writeRows(db: Database, entries: readonly MbcapEntry[], counts: RowCounts): void {
  const p = prepare(db);
  const supOf = (e: MbcapEntry) => MULTIBYTE_SUP[e.status as 'confirmed' | 'suspected'];
  const changed = (e: MbcapEntry, sup: unknown, evidence: unknown) => sup !== supOf(e) || evidence !== (e.evidence ?? null);
  const update = (t: number, rowid: number, e: MbcapEntry) => {
    p.tables[t]!.update.run(supOf(e), e.evidence ?? null, rowid);
    if (t === 0) counts.updatedActive++;
    else counts.updatedInactive++;
  };

  // What to write: the last entry of each key wins, unknown is never written
  const wanted = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    if (entries[i]!.status === 'unknown') counts.skipped++;
    else wanted.set(entries[i]!.public_key, i);
  }
  if (wanted.size === 0) return;

  const rest: number[] = [];
  if (wanted.size * 4 >= (p.size.get() as number)) {
    // Scan: match every row once, then write the changed ones in rowid order. A key in
    // both tables is written in nodes only, as the lookup would.
    // matched[i]: 0 not seen, else 1 + the table's index; rows to write kept in typed arrays
    const matched = new Uint8Array(entries.length);
    const rowids = new Float64Array(wanted.size);
    const which = new Uint32Array(wanted.size);
    let pending = 0;
    p.tables.forEach((table, t) => {
      for (const [rowid, key, state] of table.scan.iterate() as Iterable<[number, string, number]>) {
        const i = wanted.get(key);
        if (i === undefined || matched[i]) continue;
        matched[i] = t + 1;
        if (state === stateOf(entries[i]!)) counts.alreadyCurrent++;
        else {
          rowids[pending] = rowid;
          which[pending++] = i;
        }
      }
    });
    for (let k = 0; k < pending; k++) update(matched[which[k]!]! - 1, rowids[k]!, entries[which[k]!]!);
    for (const i of wanted.values()) if (!matched[i]) rest.push(i);
  } else {
    rest.push(...wanted.values());
  }

  // Lookup: one indexed search per entry
  const keys = p.tables.map(() => '');
  for (const i of rest) {
    const e = entries[i]!;
    keys.fill(e.public_key);
    const row = p.lookup.get(...keys) as [number, number, unknown, unknown] | undefined;
    if (row === undefined) counts.notFound++;
    else if (changed(e, row[2], row[3])) update(row[0], row[1], e);
    else counts.alreadyCurrent++;
  }
}
