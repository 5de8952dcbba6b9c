// The two ways an apply finds its rows (one UPDATE per table for a large snapshot, a
// lookup per entry for a small one) write the same rows, whatever the snapshot holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { applyJson, ingestor, scratch } from './helpers.js';

const key = (i: number) => i.toString(16).padStart(64, '0');
const STATUSES = ['confirmed', 'suspected', 'unknown'] as const;

/** Rows as [key, sup, evidence, table], sorted. */
function rows(db: string): [string, number | null, string | null, string][] {
  const conn = new Database(db, { readonly: true });
  try {
    const out: [string, number | null, string | null, string][] = [];
    for (const table of ['nodes', 'inactive_nodes']) {
      for (const r of conn.prepare(`SELECT public_key, multibyte_sup, multibyte_evidence FROM ${table}`).raw().all() as [string, number | null, string | null][]) out.push([...r, table]);
    }
    return out.sort((a, b) => (a[0] + a[3] < b[0] + b[3] ? -1 : 1));
  } finally {
    conn.close();
  }
}

/**
 * A database of `n` nodes (odd ones in inactive_nodes, every tenth also in nodes, some with
 * a value already), with nodes.public_key declared COLLATE NOCASE as a legacy schema might.
 */
function seed(db: string, n: number): void {
  const conn = new Database(db);
  conn.exec(`CREATE TABLE nodes (public_key TEXT PRIMARY KEY COLLATE NOCASE, name TEXT, multibyte_sup INTEGER DEFAULT 0, multibyte_evidence TEXT)`);
  conn.close();
  const r = ingestor('migrate', '--db', db);
  if (r.code !== 0) throw new Error(r.stderr);
  const seeded = new Database(db);
  seeded.transaction(() => {
    const insert = (table: string, k: string, sup: number, evidence: string | null) =>
      seeded.prepare(`INSERT INTO ${table} (public_key, name, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?)`).run(k, 'n', sup, evidence);
    for (let i = 0; i < n; i++) {
      const sup = i % 7 === 0 ? 2 : 0;
      const evidence = sup ? 'advert' : i % 11 === 0 ? 'weird' : null;
      insert(i % 2 ? 'inactive_nodes' : 'nodes', key(i), sup, evidence);
      if (i % 10 === 1) insert('nodes', key(i), 0, null); // in both tables
    }
  })();
  seeded.close();
}

/** What the apply must leave: computed from the rules, not from the code under test. */
function expected(before: ReturnType<typeof rows>, entries: MbcapEntry[]): ReturnType<typeof rows> {
  const last = new Map<string, MbcapEntry>();
  for (const e of entries) if (e.status !== 'unknown') last.set(e.public_key.toLowerCase(), e);
  const done = new Set<string>();
  // nodes first: a key in both tables is written in nodes only
  const order = [...before].sort((a, b) => (a[3] === b[3] ? 0 : a[3] === 'nodes' ? -1 : 1));
  const after = new Map(before.map((r) => [r[0] + r[3], r] as const));
  for (const [k, , , table] of order) {
    // nodes matches keys whatever their case (NOCASE); inactive_nodes exactly
    const e = table === 'nodes' ? last.get(k.toLowerCase()) : [...last.values()].find((x) => x.public_key === k);
    if (!e || done.has(e.public_key)) continue;
    done.add(e.public_key);
    after.set(k + table, [k, e.status === 'confirmed' ? 2 : 1, e.evidence ?? null, table]);
  }
  return [...after.values()].sort((a, b) => (a[0] + a[3] < b[0] + b[3] ? -1 : 1));
}

for (const [name, size] of [
  ['a snapshot as large as the tables (one UPDATE per table)', 1200],
  ['a small snapshot (a lookup per entry)', 40],
] as const) {
  test(`${name}: the rows the rules say, and no other`, async () => {
    const s = scratch();
    try {
      seed(s.db, 1000);
      const entries: MbcapEntry[] = [];
      for (let i = 0; i < size; i++) {
        const k = i % 13 === 0 ? key(i).toUpperCase() : key(i); // upper case: only NOCASE nodes match it
        const status = STATUSES[i % 3]!;
        entries.push(status === 'unknown' ? { public_key: k, status } : { public_key: k, status, evidence: i % 2 ? 'path' : 'advert' });
      }
      entries.push({ public_key: key(3), status: 'confirmed', evidence: 'advert' }, { public_key: key(3), status: 'unknown' }); // a repeat, then unknown
      const before = rows(s.db);
      await writeSnapshot(s.db, { entries });
      const out = applyJson(s.db);
      assert.is(out.status, 'applied');
      assert.equal(rows(s.db), expected(before, entries));
      assert.is(out.skipped, entries.filter((e) => e.status === 'unknown').length);
      assert.ok((out.notFound as number) > 0 || size < 1000);
    } finally {
      s.cleanup();
    }
  });
}

test.run();
