// Public keys come from radio packets: keys chosen to collide under an unseeded FNV-1a hash
// with linear probing (what a plain hash index would use) must not make an apply slow. An
// index of that kind takes minutes over 50,000 of them, holding the write lock all along.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { collidingKeys } from '../../../bench/lib/flood-keys.mjs';
import { applyJson, ingestor, scratch } from './helpers.js';

test('a snapshot of 50,000 keys chosen to collide applies every row, in ordinary time', async () => {
  const s = scratch();
  try {
    const keys = collidingKeys(50_000);
    const r = ingestor('migrate', '--db', s.db);
    assert.is(r.code, 0, r.stderr);
    const db = new Database(s.db);
    db.transaction(() => {
      const active = db.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)');
      const inactive = db.prepare('INSERT INTO inactive_nodes (public_key, name) VALUES (?, ?)');
      keys.forEach((key, i) => (i % 2 ? inactive : active).run(key, 'n'));
    })();
    db.close();
    await writeSnapshot(s.db, { entries: keys.map((key) => ({ public_key: key, status: 'confirmed', evidence: 'advert' })) });

    const out = applyJson(s.db);
    assert.is(out.status, 'applied');
    assert.is(out.updatedActive, 25_000);
    assert.is(out.updatedInactive, 25_000);
    assert.is(out.notFound, 0);
    // Random keys take well under a second here; the old index took minutes
    assert.ok((out.durationMs as number) < 15_000, `took ${out.durationMs} ms`);

    const check = new Database(s.db, { readonly: true });
    const [confirmed] = check
      .prepare(
        "SELECT (SELECT count(*) FROM nodes WHERE multibyte_sup = 2 AND multibyte_evidence = 'advert') + (SELECT count(*) FROM inactive_nodes WHERE multibyte_sup = 2 AND multibyte_evidence = 'advert')",
      )
      .raw()
      .get() as [number];
    check.close();
    assert.is(confirmed, 50_000);
  } finally {
    s.cleanup();
  }
});

test.run();
