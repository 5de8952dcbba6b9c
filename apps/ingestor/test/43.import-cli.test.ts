import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ingestorWithInput, migrated, scratch } from './helpers.js';

const REAL = fileURLToPath(new URL('../../demo/data/real-packets.jsonl', import.meta.url));

const ingestor = ingestorWithInput;

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

test('stdin into a legacy CoreScope database left as it is (--no-migrate)', () => {
  const s = scratch();
  try {
    const conn = new Database(s.db);
    conn.exec(`CREATE TABLE nodes (public_key TEXT PRIMARY KEY, name TEXT, role TEXT, lat REAL, lon REAL, last_seen TEXT, first_seen TEXT, advert_count INTEGER DEFAULT 0);
      CREATE TABLE transmissions (id INTEGER PRIMARY KEY AUTOINCREMENT, raw_hex TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, first_seen TEXT NOT NULL,
        route_type INTEGER, payload_type INTEGER, payload_version INTEGER, decoded_json TEXT, created_at TEXT DEFAULT (datetime('now')))`);
    conn.close();
    const r = ingestor(['import', '--db', s.db, '--no-migrate', '--json', '-'], readFileSync(REAL, 'utf8'));
    assert.is(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).stored, 54);
    assert.match(r.stderr, /imported stdin: 54 lines read, 54 stored/);
    assert.equal(
      query<{ name: string }>(s.db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name").map((t) => t.name),
      ['nodes', 'transmissions'],
    );
    assert.is(query(s.db, 'SELECT 1 FROM nodes').length, 4);
  } finally {
    s.cleanup();
  }
});

test('usage errors exit 2; an unreadable file or database exits 1 and touches nothing', () => {
  const s = migrated();
  try {
    const noFile = ingestor(['import', '--db', s.db]);
    assert.is(noFile.code, 2);
    assert.match(noFile.stderr, /Not enough non-option arguments/);
    const badMax = ingestor(['import', '--db', s.db, '--max-bad', '-1', REAL]);
    assert.is(badMax.code, 2);
    assert.match(badMax.stderr, /--max-bad/);

    const missing = ingestor(['import', '--db', join(s.dir, 'nope.db'), join(s.dir, 'nope.jsonl')]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.jsonl: no such file/);
    const dir = ingestor(['import', '--db', s.db, s.dir]);
    assert.is(dir.code, 1);
    assert.match(dir.stderr, /cannot read .*: it is a directory/);
    const noDb = ingestor(['import', '--db', join(s.dir, 'nope.db'), REAL]);
    assert.is(noDb.code, 1);
    assert.match(noDb.stderr, /database not found: .*nope\.db \(create it with: mbcap-ingestor migrate/);
    assert.is(query(s.db, 'SELECT 1 FROM transmissions').length, 0);
  } finally {
    s.cleanup();
  }
});

test('exit codes: every line bad exits 1 (nothing could be imported); an empty input and duplicates only exit 0', () => {
  const s = migrated();
  try {
    const bad = ingestor(['import', '--db', s.db, '-'], 'garbage\n{"raw_hex": 7}\n');
    assert.is(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /error nothing imported: all 2 lines of stdin were bad \(see the lines above\); exit 1/);
    assert.is(ingestor(['import', '--db', s.db, '-'], '').code, 0, 'an empty input');
    const lines = readFileSync(REAL, 'utf8');
    assert.is(ingestor(['import', '--db', s.db, '-'], lines).code, 0);
    const again = ingestor(['import', '--db', s.db, '-'], lines);
    assert.is(again.code, 0, 'duplicates only: already imported');
    assert.match(again.stderr, /54 duplicates/);
  } finally {
    s.cleanup();
  }
});

test.run();
