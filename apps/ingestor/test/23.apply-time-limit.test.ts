// An apply holds the database's write lock from its first row to its commit: nothing else
// (the packet import) can write meanwhile. --max-apply-time bounds that: past it the apply
// throws from inside its loop, the transaction rolls back, and the outcome says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { EntryTable } from '@mbcap/handoff/packed';
import { mbcapCode, writeSnapshot } from '@mbcap/snapshot';
import { ApplyTimeoutError, writeRows, type RowCounts } from '../src/write-rows.ts';
import { applyJson, capabilities, ingestor, ledgerRows, migrated, scratch } from './helpers.js';

const key = (i: number) => i.toString(16).padStart(64, '0');

/** A migrated database of `n` unknown nodes, even ones in nodes, odd ones in inactive_nodes. */
function seed(db: string, n: number): void {
  const r = ingestor('migrate', '--db', db);
  if (r.code !== 0) throw new Error(r.stderr);
  const conn = new Database(db);
  const insert = ['nodes', 'inactive_nodes'].map((table) => conn.prepare(`INSERT INTO ${table} (public_key, name) VALUES (?, ?)`));
  conn.transaction(() => {
    for (let i = 0; i < n; i++) insert[i % 2]!.run(key(i), 'n');
  })();
  conn.close();
}

const zero = (): RowCounts => ({ updatedActive: 0, updatedInactive: 0, alreadyCurrent: 0, keptHigher: 0, skipped: 0, notFound: 0 });

test('apply --max-apply-time 1ms: timed-out, nothing written, no ledger row, a log line that says what to do', async () => {
  const s = scratch();
  try {
    seed(s.db, 30_000);
    await writeSnapshot(s.db, { entries: Array.from({ length: 30_000 }, (_, i) => ({ public_key: key(i), status: 'confirmed', evidence: 'advert' })) });
    const before = capabilities(s.db);

    const out = applyJson(s.db, '--max-apply-time', '1ms');
    assert.is(out.status, 'timed-out');
    assert.is(out.limitMs, 1);
    assert.is(out.updatedActive, 0);
    assert.is(out.updatedInactive, 0);
    assert.equal(capabilities(s.db), before, 'no row written');
    assert.equal(ledgerRows(s.db), [], 'no ledger row');
    assert.match(out.stderr, /warn/);
    assert.match(out.stderr, /not applied: it held the write lock longer than the limit of 1 ms \(--max-apply-time\) and was rolled back: nothing written/);
    assert.match(out.stderr, /raise --max-apply-time/);

    // The lock was released and nothing is stuck: the default limit applies it
    const again = applyJson(s.db);
    assert.is(again.status, 'applied');
    assert.is((again.updatedActive as number) + (again.updatedInactive as number), 30_000);
    assert.is(ledgerRows(s.db).length, 1);
  } finally {
    s.cleanup();
  }
});

test('--max-apply-time must be a positive duration', () => {
  const s = migrated();
  try {
    for (const bad of ['0', '0s', 'soon']) {
      const r = ingestor('apply', '--db', s.db, '--max-apply-time', bad);
      assert.is.not(r.code, 0, bad);
      assert.match(r.stderr, /--max-apply-time/);
    }
    assert.match(ingestor('apply', '--help').stdout, /--max-apply-time[\s\S]*write lock/);
  } finally {
    s.cleanup();
  }
});

// The clock below passes the deadline at its fourth look: after the index (1), then every
// 4096 rows (4096, 8192: nodes' 10,000 rows are decided by then; 12,288: inside inactive_nodes)
for (const [path, covered] of [
  ['the scan', 20_000],
  ['the lookup', 4_500],
] as const) {
  test(`${path} stops inside its loop when the deadline passes, and the transaction rolls back`, () => {
    const s = scratch();
    try {
      seed(s.db, 20_000);
      const db = new Database(s.db);
      try {
        const table = new EntryTable();
        // The lookup takes the snapshot's keys one by one: 4,500 of 20,000 rows (less than a quarter)
        for (let i = 0; i < covered; i++) table.push(key(covered === 20_000 ? i : i * 4), mbcapCode('confirmed', 'advert'));
        let looks = 0;
        const clock = () => (++looks >= (covered === 20_000 ? 4 : 2) ? 2 : 0);
        const counts = zero();
        let thrown: unknown = null;
        try {
          db.transaction(() => writeRows(db, table, counts, { deadline: 1, clock }))();
        } catch (error) {
          thrown = error;
        }
        assert.instance(thrown, ApplyTimeoutError);
        const rowsSeen = (thrown as ApplyTimeoutError).rowsSeen;
        assert.ok(rowsSeen >= 4096 && rowsSeen < covered, `stopped inside the loop, after ${rowsSeen} rows`);
        const written = db
          .prepare('SELECT (SELECT count(*) FROM nodes WHERE multibyte_sup != 0) + (SELECT count(*) FROM inactive_nodes WHERE multibyte_sup != 0)')
          .pluck()
          .get();
        assert.is(written, 0, 'the rows written before the deadline were rolled back');
      } finally {
        db.close();
      }
    } finally {
      s.cleanup();
    }
  });
}

test.run();
