import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { readSnapshot } from '@mbcap/snapshot';
import { advert, ingestor, keyWith, minutesAgo, scratch, seedDb, server } from './helpers.js';

// A publish numbers its snapshot above every seq the ingestor applied (its ledger), so a
// snapshot.json that was deleted or replaced by garbage does not send seq back to 1.

const A = keyWith('a1b2');

function seed(db: string) {
  seedDb(db, { nodes: [{ key: A }, { key: keyWith('b2c3') }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(3) }] });
}

function publish(db: string): number {
  const r = server('publish', '--db', db, '--json');
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).seq;
}

function apply(db: string): { status: string; seq: number | null } {
  const r = ingestor('apply', '--db', db, '--json');
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Two publishes, the last applied: the ledger holds seq 2. */
function publishedAndApplied(db: string): number {
  for (let i = 0; i < 2; i++) publish(db);
  const applied = apply(db);
  assert.is(applied.status, 'applied');
  assert.is(applied.seq, 2);
  return 2;
}

for (const [what, spoil] of [
  ['deleted', (file: string) => rmSync(file)],
  ['replaced by garbage', (file: string) => writeFileSync(file, 'not a snapshot \x00\x01')],
  ['emptied', (file: string) => writeFileSync(file, '')],
] as const) {
  test(`after snapshot.json was ${what}, the next seq is above the applied one and the ingestor applies it`, async () => {
    const s = scratch();
    try {
      seed(s.db);
      const applied = publishedAndApplied(s.db);
      spoil(s.file);
      const seq = publish(s.db);
      assert.ok(seq > applied, `seq ${seq} after the applied ${applied}`);
      assert.is((await readSnapshot(s.db)).snapshot.seq, seq, 'the file on disk carries it');
      const again = apply(s.db);
      assert.is(again.status, 'applied');
      assert.is(again.seq, seq);
    } finally {
      s.cleanup();
    }
  });
}

test('a ledger without any seq, or no ledger at all, leaves numbering to the file', () => {
  const s = scratch();
  try {
    seed(s.db);
    // Applied snapshots without a seq (as the upstream Go writer makes them)
    publishedAndApplied(s.db);
    const db = new Database(s.db);
    db.prepare('UPDATE mbcap_ledger SET seq = NULL').run();
    db.close();
    rmSync(s.file);
    assert.is(publish(s.db), 1);
    assert.is(publish(s.db), 2);

    // A legacy database: the ledger table is not there
    const legacy = new Database(s.db);
    legacy.prepare('DROP TABLE mbcap_ledger').run();
    legacy.close();
    rmSync(s.file);
    assert.is(publish(s.db), 1);
  } finally {
    s.cleanup();
  }
});

test.run();
