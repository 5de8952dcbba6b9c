// The writer against its plain twin, on random tables and snapshots, on every run: the
// twin below reads every row, applies the rule as the README states it, entry by entry,
// with none of the writer's machinery (no key index, no scan or lookup, no packed codes),
// and both must leave the same rows and the same counts. The cases mix what makes the
// writer choose one way or the other and what has broken it before: both tables or
// nodes alone, a legacy table that compares keys without case, NULL sup and evidence,
// evidence the rule does not know, keys in upper and mixed case, a key in both tables,
// keys given several times in one snapshot, unknown entries and keys in no table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { createRng, type Rng } from '@mbcap/meshgen';
import { EntryTable } from '@mbcap/handoff/packed';
import { mbcapCode, type MultibyteEvidence, type MultibyteStatus } from '@mbcap/snapshot';
import { writeRows, type RowCounts } from '../src/write-rows.ts';
import { scratch } from './helpers.js';

type Row = { rowid: number; key: string; sup: number | null; evidence: string | null };
type Entry = { key: string; status: MultibyteStatus; evidence?: MultibyteEvidence };
type Case = { nocase: { nodes: boolean; inactive_nodes: boolean }; inactive: boolean; tables: Record<'nodes' | 'inactive_nodes', Row[]>; entries: Entry[] };

const SUP = { confirmed: 2, suspected: 1 } as const;

/** How strong an entry is, from the rule's words: confirmed over suspected, then advert over path over none. */
function strength(e: Entry): number {
  return (e.status === 'confirmed' ? 10 : 0) + (e.evidence === 'advert' ? 3 : e.evidence === 'path' ? 2 : 1);
}

/** The rule, plainly: rows after, and the counts. */
function twin(c: Case): { tables: Case['tables']; counts: RowCounts } {
  const counts: RowCounts = { updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, keptHigher: 0, skipped: 0, notFound: 0 };
  const names = c.inactive ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const);
  const same = (table: 'nodes' | 'inactive_nodes', a: string, b: string) => (c.nocase[table] ? a.toLowerCase() === b.toLowerCase() : a === b);
  // The entry each row gets: the strongest of those that name it
  const chosen = new Map<Row, { table: 'nodes' | 'inactive_nodes'; entry: Entry }>();
  const keysNotFound = new Set<string>();
  for (const e of c.entries) {
    if (e.status === 'unknown') {
      counts.skipped++;
      continue;
    }
    let named: { table: 'nodes' | 'inactive_nodes'; row: Row } | null = null;
    for (const table of names) {
      const row = c.tables[table].find((r) => same(table, r.key, e.key));
      if (row) {
        named = { table, row };
        break;
      }
    }
    if (!named) {
      keysNotFound.add(e.key);
      continue;
    }
    const held = chosen.get(named.row);
    if (!held || strength(e) > strength(held.entry)) chosen.set(named.row, { table: named.table, entry: e });
  }
  counts.notFound = keysNotFound.size;
  // What each entry does to its row: a stored value only rises
  const after = { nodes: c.tables.nodes.map((r) => ({ ...r })), inactive_nodes: c.tables.inactive_nodes.map((r) => ({ ...r })) };
  for (const [row, { table, entry }] of chosen) {
    const sup = SUP[entry.status as keyof typeof SUP];
    const evidence = entry.evidence ?? null;
    if (row.sup !== null && row.sup > sup) counts.keptHigher++;
    else if (row.sup === sup && row.evidence === evidence) counts.alreadyCurrent++;
    else {
      const target = after[table].find((r) => r.rowid === row.rowid)!;
      target.sup = sup;
      target.evidence = evidence;
      if (table === 'nodes') counts.updatedActive++;
      else counts.updatedInactive++;
    }
  }
  return { tables: after, counts };
}

const HEX = '0123456789abcdef';

function randomCase(rng: Rng): Case {
  const pool = Array.from({ length: rng.between(1, 120) }, () => Array.from({ length: rng.pick([2, 4, 8, 64]) }, () => HEX[rng.int(16)]).join(''));
  const unique = [...new Set(pool)];
  const cased = (key: string) =>
    rng.weighted([
      [key, 6],
      [key.toUpperCase(), 2],
      [[...key].map((ch) => (rng.chance(0.5) ? ch.toUpperCase() : ch)).join(''), 1],
    ] as const);
  const inactive = rng.chance(0.85);
  const nocase = { nodes: rng.chance(0.4), inactive_nodes: rng.chance(0.2) };
  const tables: Case['tables'] = { nodes: [], inactive_nodes: [] };
  let rowid = 1;
  for (const key of unique) {
    // Most keys in one table, some in both (each in the case it was stored with), some in none
    const where = rng.weighted([
      [['nodes'], 5],
      [['inactive_nodes'], inactive ? 4 : 0],
      [['nodes', 'inactive_nodes'], inactive ? 1 : 0],
      [[], 2],
    ] as const);
    for (const table of where) {
      tables[table].push({
        rowid: rowid++,
        key: cased(key),
        sup: rng.weighted([
          [null, 1],
          [0, 4],
          [1, 2],
          [2, 2],
        ] as const),
        evidence: rng.weighted([
          [null, 4],
          ['advert', 2],
          ['path', 2],
          ['weird', 1],
        ] as const),
      });
    }
  }
  // Snapshots as large as the tables (the scan) and small ones (the lookup)
  const rows = tables.nodes.length + tables.inactive_nodes.length;
  const size = rng.chance(0.5) ? rng.between(rows, rows * 2 + 4) : rng.between(0, Math.max(1, Math.floor(rows / 8)));
  const entries: Entry[] = [];
  for (let i = 0; i < size; i++) {
    const status = rng.weighted([
      ['confirmed', 3],
      ['suspected', 3],
      ['unknown', 2],
    ] as const);
    const evidence = rng.weighted([
      [undefined, 2],
      ['advert', 2],
      ['path', 2],
    ] as const);
    const key = rng.chance(0.9) ? cased(rng.pick(unique)) : 'ab'.repeat(rng.between(1, 32));
    entries.push(evidence === undefined ? { key, status } : { key, status, evidence });
  }
  return { nocase, inactive, tables, entries };
}

function store(path: string, c: Case): Database.Database {
  const db = new Database(path);
  db.pragma('synchronous = OFF'); // scratch files: the writer does not depend on durability
  db.transaction(() => {
    for (const table of c.inactive ? (['nodes', 'inactive_nodes'] as const) : (['nodes'] as const)) {
      db.exec(
        `CREATE TABLE ${table} (public_key TEXT PRIMARY KEY${c.nocase[table] ? ' COLLATE NOCASE' : ''}, name TEXT, multibyte_sup INTEGER DEFAULT 0, multibyte_evidence TEXT)`,
      );
      const insert = db.prepare(`INSERT INTO ${table} (rowid, public_key, name, multibyte_sup, multibyte_evidence) VALUES (?, ?, 'n', ?, ?)`);
      for (const r of c.tables[table]) insert.run(r.rowid, r.key, r.sup, r.evidence);
    }
  })();
  return db;
}

function stored(db: Database.Database, c: Case): Case['tables'] {
  const read = (table: string) =>
    db.prepare(`SELECT rowid, public_key AS key, multibyte_sup AS sup, multibyte_evidence AS evidence FROM ${table} ORDER BY rowid`).all() as Row[];
  return { nodes: read('nodes'), inactive_nodes: c.inactive ? read('inactive_nodes') : [] };
}

test('the writer leaves the rows and counts its plain twin does, on 300 random tables and snapshots', () => {
  const seed = Number(process.env.TWIN_SEED ?? Date.now() % 1_000_000);
  const rng = createRng(seed);
  const s = scratch();
  try {
    for (let n = 0; n < 300; n++) {
      const c = randomCase(rng);
      // NOCASE keys are unique without case: keep the first of each
      for (const table of ['nodes', 'inactive_nodes'] as const) {
        if (!c.nocase[table]) continue;
        const seen = new Set<string>();
        c.tables[table] = c.tables[table].filter((r) => !seen.has(r.key.toLowerCase()) && seen.add(r.key.toLowerCase()));
      }
      const db = store(`${s.dir}/case-${n}.db`, c);
      try {
        const table = new EntryTable();
        for (const e of c.entries) table.push(e.key, mbcapCode(e.status, e.evidence));
        const counts: RowCounts = { updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, keptHigher: 0, skipped: 0, notFound: 0 };
        db.transaction(() => writeRows(db, table, counts))();
        const want = twin(c);
        const what = `seed ${seed} (TWIN_SEED=${seed} repeats it), case ${n}: ${JSON.stringify(c)}`;
        assert.equal(stored(db, c), want.tables, what);
        assert.equal(counts, want.counts, what);
      } finally {
        db.close();
      }
    }
  } finally {
    s.cleanup();
  }
});

test('two cases of one key in a NOCASE table write its row once, with the stronger entry, in either order', () => {
  const s = scratch();
  try {
    for (const [n, order] of [
      ['upper last', ['aa11', 'AA11']],
      ['upper first', ['AA11', 'aa11']],
    ] as const) {
      const db = new Database(`${s.dir}/${n}.db`);
      try {
        db.exec('CREATE TABLE nodes (public_key TEXT PRIMARY KEY COLLATE NOCASE, multibyte_sup INTEGER DEFAULT 0, multibyte_evidence TEXT)');
        db.exec("INSERT INTO nodes (public_key, multibyte_sup) VALUES ('aa11', 0), ('bb22', 0)");
        // The weaker entry under the first key, the stronger under the second
        const table = new EntryTable();
        table.push(order[0], mbcapCode('suspected', 'path'));
        table.push(order[1], mbcapCode('confirmed', 'advert'));
        const counts: RowCounts = { updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, keptHigher: 0, skipped: 0, notFound: 0 };
        db.transaction(() => writeRows(db, table, counts))();
        assert.equal(
          db.prepare("SELECT multibyte_sup, multibyte_evidence FROM nodes WHERE public_key = 'aa11'").get(),
          { multibyte_sup: 2, multibyte_evidence: 'advert' },
          n,
        );
        assert.is(counts.updatedActive, 1, `${n}: one row, written once`);
      } finally {
        db.close();
      }
    }
  } finally {
    s.cleanup();
  }
});

test.run();
