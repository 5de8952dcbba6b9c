// The two ways an apply finds its rows (a scan of each table for a large snapshot, a
// lookup per entry for a small one or a table that compares keys without case) write the
// same rows, whatever the snapshot holds;
// a key given more than once is written with its strongest entry, in either order; and
// neither ever lowers a stored value (confirmed stays confirmed when the snapshot says
// suspected).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { applyJson, capabilities, ingestor, scratch, seedDb } from './helpers.js';

const key = (i: number) => i.toString(16).padStart(64, '0');
const STATUSES = ['confirmed', 'suspected', 'unknown'] as const;

/** Rows as [key, sup, evidence, table], sorted. */
function rows(db: string): [string, number | null, string | null, string][] {
  const conn = new Database(db, { readonly: true });
  try {
    const out: [string, number | null, string | null, string][] = [];
    for (const table of ['nodes', 'inactive_nodes']) {
      for (const r of conn.prepare(`SELECT public_key, multibyte_sup, multibyte_evidence FROM ${table}`).raw().all() as [
        string,
        number | null,
        string | null,
      ][])
        out.push([...r, table]);
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

/**
 * How strong an entry is, by the rules (not from the code under test): confirmed over
 * suspected, then evidence advert over path over none. Unknown is never written.
 */
function strength(e: MbcapEntry): number {
  return (e.status === 'confirmed' ? 10 : 0) + (e.evidence === 'advert' ? 3 : e.evidence === 'path' ? 2 : 1);
}

/**
 * What the apply must leave, and how many rows it held back: computed from the rules, not
 * from the code under test. A stored value only rises: an entry whose sup is below the
 * row's leaves the row as it is (of equal sup, the entry's evidence is written).
 */
function expected(before: ReturnType<typeof rows>, entries: MbcapEntry[]): { rows: ReturnType<typeof rows>; kept: number } {
  // Of a key given more than once, the strongest entry (of equal ones, any: they say the same)
  const last = new Map<string, MbcapEntry>();
  for (const e of entries) {
    if (e.status === 'unknown') continue;
    const held = last.get(e.public_key.toLowerCase());
    if (!held || strength(e) >= strength(held)) last.set(e.public_key.toLowerCase(), e);
  }
  const done = new Set<string>();
  // nodes first: a key in both tables is written in nodes only
  const order = [...before].sort((a, b) => (a[3] === b[3] ? 0 : a[3] === 'nodes' ? -1 : 1));
  const after = new Map(before.map((r) => [r[0] + r[3], r] as const));
  let kept = 0;
  for (const [k, stored, , table] of order) {
    // nodes matches keys whatever their case (NOCASE); inactive_nodes exactly
    const e = table === 'nodes' ? last.get(k.toLowerCase()) : [...last.values()].find((x) => x.public_key === k);
    if (!e || done.has(e.public_key)) continue;
    done.add(e.public_key);
    const sup = e.status === 'confirmed' ? 2 : 1;
    if (stored !== null && stored > sup) {
      kept++;
      continue;
    }
    after.set(k + table, [k, sup, e.evidence ?? null, table]);
  }
  return { rows: [...after.values()].sort((a, b) => (a[0] + a[3] < b[0] + b[3] ? -1 : 1)), kept };
}

for (const [name, size] of [
  ['a snapshot as large as the tables', 1200],
  ['a small snapshot', 40],
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
      // Repeats of other strengths, after the first entry of their key: weaker and stronger
      const variants: MbcapEntry['status'][] = ['confirmed', 'suspected', 'unknown'];
      for (let i = 5, v = 0; i < size; i += 17, v++) {
        const k = i % 13 === 0 ? key(i).toUpperCase() : key(i);
        const status = variants[v % 3]!;
        const evidence = (['advert', 'path', undefined] as const)[Math.floor(v / 3) % 3];
        entries.push(status === 'unknown' || evidence === undefined ? { public_key: k, status } : { public_key: k, status, evidence });
      }
      const before = rows(s.db);
      await writeSnapshot(s.db, { entries });
      const out = applyJson(s.db);
      assert.is(out.status, 'applied');
      const want = expected(before, entries);
      assert.equal(rows(s.db), want.rows);
      assert.ok(want.kept > 0, 'the snapshot says suspected for some confirmed rows');
      assert.is(out.keptHigher, want.kept);
      assert.is(out.skipped, entries.filter((e) => e.status === 'unknown').length);
      assert.ok((out.notFound as number) > 0 || size < 1000);
    } finally {
      s.cleanup();
    }
  });
}

// Scan or lookup: the scan runs when the snapshot's distinct keys are at least a quarter of
// the rows (write-rows.ts); 400 rows with all of them in the snapshot take the scan, 400
// rows with 6 keys in it the lookup.
for (const [path, covered] of [
  ['the scan', 400],
  ['the lookup', 0],
] as const) {
  test(`${path}: a repeated key is written with its strongest entry, given first or last`, async () => {
    const s = scratch();
    try {
      const others = Array.from({ length: 400 }, (_, i) => ({ key: key(1000 + i), inactive: i % 2 === 1 }));
      // Each pair below names one key twice; `a`… keys live in nodes, `b`… in inactive_nodes
      const pairs: [string, MbcapEntry, MbcapEntry, [number, string | null]][] = [];
      const confirmed = { status: 'confirmed', evidence: 'advert' } as const;
      const suspected = { status: 'suspected', evidence: 'path' } as const;
      const confirmedPath = { status: 'confirmed', evidence: 'path' } as const;
      const unknown = { status: 'unknown' } as const;
      for (const prefix of ['a', 'b']) {
        const k = (n: number) => `${prefix}${n}`.padEnd(64, '0');
        pairs.push([k(1), { public_key: k(1), ...confirmed }, { public_key: k(1), ...suspected }, [2, 'advert']]); // strong first
        pairs.push([k(2), { public_key: k(2), ...suspected }, { public_key: k(2), ...confirmed }, [2, 'advert']]); // strong last
        pairs.push([k(3), { public_key: k(3), ...confirmed }, { public_key: k(3), ...confirmedPath }, [2, 'advert']]); // evidence decides, first
        pairs.push([k(4), { public_key: k(4), ...confirmedPath }, { public_key: k(4), ...confirmed }, [2, 'advert']]); // evidence decides, last
        pairs.push([k(5), { public_key: k(5), ...suspected }, { public_key: k(5), status: 'suspected' }, [1, 'path']]); // path over none
        pairs.push([k(6), { public_key: k(6), ...suspected }, { public_key: k(6), ...unknown }, [1, 'path']]); // unknown never wins
      }
      seedDb(s.db, [...others, ...pairs.map(([k]) => ({ key: k, inactive: k.startsWith('b') }))]);
      const entries: MbcapEntry[] = pairs.flatMap(([, first, second]) => [first, second]);
      for (const o of others.slice(0, covered)) entries.push({ public_key: o.key, status: 'suspected', evidence: 'path' });
      await writeSnapshot(s.db, { entries });
      const out = applyJson(s.db);
      assert.is(out.status, 'applied');
      const caps = capabilities(s.db);
      for (const [k, , , [sup, evidence]] of pairs) assert.equal(caps[k], [sup, evidence, k.startsWith('b') ? 'inactive_nodes' : 'nodes'], k);
      assert.is(out.updatedActive as number, 6 + covered / 2);
      assert.is(out.updatedInactive as number, 6 + covered / 2);
    } finally {
      s.cleanup();
    }
  });
}

for (const [path, covered] of [
  ['the scan', 400],
  ['the lookup', 0],
] as const) {
  test(`${path}: a stored value only rises, in nodes and in inactive_nodes`, async () => {
    const s = scratch();
    try {
      const others = Array.from({ length: 400 }, (_, i) => ({ key: key(1000 + i), inactive: i % 2 === 1 }));
      const confirmed = { sup: 2, evidence: 'advert' };
      const suspected = { sup: 1, evidence: 'path' };
      const unknown = { sup: 0, evidence: null };
      // [key number, stored, snapshot entry, row after]; `a`… keys live in nodes, `b`… in inactive_nodes
      const cases: [number, { sup: number; evidence: string | null }, Omit<MbcapEntry, 'public_key'>, [number, string | null]][] = [
        [1, confirmed, { status: 'suspected', evidence: 'path' }, [2, 'advert']], // lower: kept
        [2, confirmed, { status: 'suspected' }, [2, 'advert']], // lower, no evidence: kept
        [3, confirmed, { status: 'unknown' }, [2, 'advert']], // unknown: never written
        [4, confirmed, { status: 'confirmed', evidence: 'path' }, [2, 'path']], // equal sup, other evidence: written
        [5, suspected, { status: 'suspected' }, [1, null]], // equal sup, other evidence: written
        [6, suspected, { status: 'confirmed', evidence: 'advert' }, [2, 'advert']], // higher: written
        [7, unknown, { status: 'suspected', evidence: 'path' }, [1, 'path']], // higher: written
        [8, confirmed, { status: 'confirmed', evidence: 'advert' }, [2, 'advert']], // the same: current
      ];
      const k = (prefix: string, n: number) => `${prefix}${n}`.padEnd(64, '0');
      const seeds = ['a', 'b'].flatMap((prefix) => cases.map(([n, stored]) => ({ key: k(prefix, n), ...stored, inactive: prefix === 'b' })));
      seedDb(s.db, [...others, ...seeds]);
      const entries: MbcapEntry[] = ['a', 'b'].flatMap((prefix) => cases.map(([n, , entry]) => ({ public_key: k(prefix, n), ...entry }) as MbcapEntry));
      for (const o of others.slice(0, covered)) entries.push({ public_key: o.key, status: 'suspected', evidence: 'path' });
      await writeSnapshot(s.db, { entries });
      const out = applyJson(s.db);
      assert.is(out.status, 'applied');
      const caps = capabilities(s.db);
      for (const prefix of ['a', 'b']) {
        for (const [n, , , [sup, evidence]] of cases)
          assert.equal(caps[k(prefix, n)], [sup, evidence, prefix === 'b' ? 'inactive_nodes' : 'nodes'], k(prefix, n));
      }
      assert.is(out.keptHigher, 4, 'two rows a table held back');
      assert.is(out.skipped, 2);
      assert.is(out.alreadyCurrent, 2);
      assert.is(out.updatedActive as number, 4 + covered / 2);
      assert.is(out.updatedInactive as number, 4 + covered / 2);
      assert.match(out.stderr, /, 4 kept confirmed \(the snapshot said suspected; clear with mbcap-ingestor reset\)/);
    } finally {
      s.cleanup();
    }
  });
}

test.run();
