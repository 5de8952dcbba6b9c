import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { duplicateKeys, migrate, SchemaError } from '../src/index.js';
import { columnNames, createLegacyDb, journalMode, rows, schemaText, tableNames, tempDir } from './fixtures.js';
import type { TempDir } from './fixtures.js';

const NODE = [
  'public_key',
  'name',
  'role',
  'lat',
  'lon',
  'last_seen',
  'first_seen',
  'advert_count',
  'battery_mv',
  'temperature_c',
  'multibyte_sup',
  'multibyte_evidence',
];
const TRANSMISSION = ['id', 'raw_hex', 'hash', 'first_seen', 'route_type', 'payload_type', 'payload_version', 'decoded_json', 'created_at', 'path_json'];
const LEDGER = [
  'id',
  'applied_at',
  'content_hash',
  'seq',
  'written_at',
  'written_at_ms',
  'entries_read',
  'updated_active',
  'updated_inactive',
  'skipped',
  'invalid',
  'not_found',
  'forced',
  'duration_ms',
  'file_identity',
  'kept_higher',
];
const RESETS = ['id', 'reset_at', 'keys', 'status', 'reset_active', 'reset_inactive', 'not_found'];

let t: TempDir;
test.before.each(() => {
  t = tempDir();
});
test.after.each(() => {
  t.cleanup();
});

function indexedColumns(db: ReturnType<TempDir['open']>, table: string): string[] {
  const names = db.prepare('SELECT name FROM pragma_index_list(?)').pluck().all(table) as string[];
  return names.flatMap((n) => db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(n) as string[]).sort();
}

test('a fresh database gets every table, column, index, the version and WAL', () => {
  const report = migrate(t.open());

  const db = t.open();
  assert.equal(tableNames(db), ['inactive_nodes', 'mbcap_ledger', 'mbcap_meta', 'mbcap_refusals', 'mbcap_resets', 'nodes', 'transmissions']);
  assert.equal(columnNames(db, 'nodes'), NODE);
  assert.equal(columnNames(db, 'inactive_nodes'), NODE);
  assert.equal(columnNames(db, 'transmissions'), TRANSMISSION);
  assert.equal(columnNames(db, 'mbcap_ledger'), LEDGER);
  assert.equal(columnNames(db, 'mbcap_meta'), ['key', 'value']);
  assert.equal(columnNames(db, 'mbcap_resets'), RESETS);
  assert.equal(columnNames(db, 'mbcap_refusals'), ['id', 'refused_at', 'code', 'seq', 'file_identity', 'reason', 'total']);
  assert.ok(indexedColumns(db, 'transmissions').includes('first_seen'));
  assert.ok(indexedColumns(db, 'transmissions').includes('payload_type'));
  assert.ok(indexedColumns(db, 'mbcap_ledger').includes('content_hash'));
  assert.is(db.prepare("SELECT value FROM mbcap_meta WHERE key = 'schema_version'").pluck().get(), '1');
  assert.is(journalMode(db), 'wal');

  assert.ok(report.changes.includes('created table nodes'));
  assert.ok(report.changes.includes('created table inactive_nodes'));
  assert.ok(report.changes.includes('set journal_mode=wal'));
  assert.ok(report.changes.includes('set schema_version=1'));
  assert.is(report.fromVersion, null);
});

test('the declared constraints hold on a fresh database', () => {
  migrate(t.open());
  const db = t.open();
  db.prepare("INSERT INTO nodes (public_key) VALUES ('aa')").run();
  assert.equal(db.prepare('SELECT multibyte_sup, advert_count FROM nodes').get(), { multibyte_sup: 0, advert_count: 0 });
  const tx = db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen) VALUES (?, ?, ?)');
  tx.run('1100', 'h1', '2026-03-18T09:00:00Z');
  assert.throws(() => tx.run('1100', 'h1', '2026-03-18T09:00:00Z'), /UNIQUE/);
  assert.throws(() => tx.run(null, 'h2', '2026-03-18T09:00:00Z'), /NOT NULL/);
  assert.match(String(db.prepare('SELECT created_at FROM transmissions').pluck().get()), /^\d{4}-\d\d-\d\d /);
});

test('running migrate twice reports nothing and changes nothing the second time', () => {
  const db = t.open();
  createLegacyDb(db);
  assert.ok(migrate(db).changes.length > 0);
  const before = schemaText(db);
  const sqliteVersion = db.pragma('schema_version', { simple: true });

  const second = migrate(db);
  assert.equal(second.changes, []);
  assert.is(second.fromVersion, 1);
  assert.is(schemaText(db), before);
  assert.is(db.pragma('schema_version', { simple: true }), sqliteVersion);
});

test('an older CoreScope database keeps every row and extra, and gains what was missing', () => {
  const db = t.open();
  createLegacyDb(db);
  const nodesBefore = rows(db, 'nodes') as Record<string, unknown>[];
  const txBefore = rows(db, 'transmissions') as Record<string, unknown>[];
  const observersBefore = rows(db, 'observers');

  const report = migrate(db);

  assert.equal(report.changes, [
    'added column nodes.multibyte_sup',
    'added column nodes.multibyte_evidence',
    'created table inactive_nodes',
    'added column transmissions.path_json',
    'created table mbcap_meta',
    'created table mbcap_ledger',
    'created table mbcap_resets',
    'created table mbcap_refusals',
    'created index idx_transmissions_first_seen on transmissions(first_seen)',
    'created index idx_transmissions_payload_type on transmissions(payload_type)',
    'created index idx_mbcap_ledger_content_hash on mbcap_ledger(content_hash)',
    'set schema_version=1',
    'set journal_mode=wal',
  ]);
  // Every old value is still there; new columns read as "unknown"/empty
  assert.equal(
    rows(db, 'nodes'),
    nodesBefore.map((r) => ({ ...r, multibyte_sup: 0, multibyte_evidence: null })),
  );
  assert.equal(
    rows(db, 'transmissions'),
    txBefore.map((r) => ({ ...r, path_json: null })),
  );
  assert.equal(rows(db, 'observers'), observersBefore);
  assert.equal(db.prepare('SELECT hardware FROM nodes ORDER BY rowid').pluck().all(), ['Heltec V3', 'RAK4631', null]);
  assert.ok(columnNames(db, 'transmissions').includes('from_pubkey'));
  assert.equal(columnNames(db, 'inactive_nodes'), NODE);
  assert.equal(rows(db, 'inactive_nodes'), []);
  assert.is(journalMode(t.open()), 'wal');
});

test('columns SQLite cannot add as declared are added plain, and the report says so', () => {
  const db = t.open();
  db.exec('CREATE TABLE transmissions (id INTEGER PRIMARY KEY, raw_hex TEXT NOT NULL, hash TEXT, first_seen TEXT NOT NULL)');
  db.prepare("INSERT INTO transmissions (raw_hex, hash, first_seen) VALUES ('11', 'h', '2026-03-18')").run();
  const report = migrate(db);
  assert.ok(report.changes.some((c) => c.startsWith('added column transmissions.created_at as TEXT (SQLite cannot add')));
  assert.ok(report.changes.includes('added column transmissions.payload_type'));
  assert.equal(columnNames(db, 'transmissions'), TRANSMISSION);
  assert.is(db.prepare('SELECT raw_hex FROM transmissions').pluck().get(), '11');
  assert.equal(migrate(db).changes, []);
});

test('an index the user already has on the same column is not duplicated', () => {
  const db = t.open();
  createLegacyDb(db);
  db.exec('CREATE INDEX my_first_seen ON transmissions(first_seen, hash)');
  const report = migrate(db);
  assert.not.ok(report.changes.some((c) => c.includes('transmissions(first_seen)')));
  assert.equal(
    indexedColumns(db, 'transmissions').filter((c) => c === 'first_seen'),
    ['first_seen'],
  );
});

test('a newer schema_version makes migrate throw and leaves the database untouched', () => {
  const db = t.open();
  createLegacyDb(db);
  db.exec("CREATE TABLE mbcap_meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO mbcap_meta VALUES ('schema_version', '2')");
  const before = schemaText(db);
  const nodesBefore = rows(db, 'nodes');

  try {
    migrate(db);
    assert.unreachable('migrate should have thrown');
  } catch (err) {
    assert.instance(err, SchemaError);
    assert.is((err as SchemaError).code, 'NEWER_SCHEMA');
    assert.match((err as Error).message, 'schema_version is 2, newer than this code knows (1)');
  }
  assert.is(schemaText(db), before);
  assert.equal(rows(db, 'nodes'), nodesBefore);
  assert.is(journalMode(db), 'delete');
  assert.is(db.prepare("SELECT value FROM mbcap_meta WHERE key = 'schema_version'").pluck().get(), '2');
});

test('an unreadable schema_version or a table without its key is refused, untouched', () => {
  const db = t.open();
  db.exec("CREATE TABLE mbcap_meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO mbcap_meta VALUES ('schema_version', 'one')");
  assert.throws(
    () => migrate(db),
    (err: unknown) => err instanceof SchemaError && err.code === 'BAD_VERSION',
  );
  db.exec('DELETE FROM mbcap_meta; CREATE TABLE nodes (id INTEGER, name TEXT)');
  const before = schemaText(db);
  assert.throws(() => migrate(db), /table nodes exists but has no public_key column/);
  assert.is(schemaText(db), before);
});

test('migrate refuses a read-only connection', () => {
  migrate(t.open());
  const ro = t.open({ readonly: true });
  assert.throws(
    () => migrate(ro),
    (err: unknown) => err instanceof TypeError && /readonly/.test(err.message),
  );
});

test('duplicateKeys names keys present in both tables; migrate moves nothing', () => {
  const db = t.open();
  migrate(db);
  db.exec(`INSERT INTO nodes (public_key) VALUES ('aa11'), ('bb22'), ('CC33');
           INSERT INTO inactive_nodes (public_key) VALUES ('bb22'), ('cc33'), ('dd44')`);
  assert.equal(duplicateKeys(db), ['bb22']);
  migrate(db);
  assert.is(db.prepare('SELECT count(*) FROM nodes').pluck().get(), 3);
  assert.is(db.prepare('SELECT count(*) FROM inactive_nodes').pluck().get(), 3);
});

test('duplicateKeys is empty on a legacy database without inactive_nodes', () => {
  const db = t.open();
  createLegacyDb(db);
  assert.equal(duplicateKeys(db), []);
});

test('a ledger from before kept_higher and mbcap_resets keeps its rows and gains both, once', () => {
  const db = t.open();
  migrate(db);
  // The schema as the previous release left it: no kept_higher column, no mbcap_resets
  db.exec('DROP TABLE mbcap_resets; DROP TABLE mbcap_refusals; ALTER TABLE mbcap_ledger DROP COLUMN kept_higher');
  db.prepare(
    `INSERT INTO mbcap_ledger (applied_at, content_hash, seq, written_at, written_at_ms, entries_read, updated_active,
       updated_inactive, skipped, invalid, not_found, forced) VALUES ('2026-12-01T00:00:00Z', 'h', 7, '2026-12-01T00:00:00Z', 1, 3, 1, 1, 1, 0, 0, 0)`,
  ).run();
  const before = rows(db, 'mbcap_ledger') as Record<string, unknown>[];

  const report = migrate(db);
  assert.equal(report.changes, ['added column mbcap_ledger.kept_higher', 'created table mbcap_resets', 'created table mbcap_refusals']);
  assert.equal(columnNames(db, 'mbcap_ledger'), LEDGER);
  assert.equal(columnNames(db, 'mbcap_resets'), RESETS);
  assert.equal(
    rows(db, 'mbcap_ledger'),
    before.map((r) => ({ ...r, kept_higher: 0 })),
  );
  assert.equal(migrate(db).changes, [], 'idempotent');
});

test.run();
