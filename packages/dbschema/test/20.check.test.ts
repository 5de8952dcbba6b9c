import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSchema, hasColumn, hasTable, migrate, tableColumns } from '../src/index.js';
import type { SchemaNeed } from '../src/index.js';
import { createLegacyDb, tableNames, tempDir } from './fixtures.js';
import type { TempDir } from './fixtures.js';

let t: TempDir;
test.before.each(() => {
  t = tempDir();
});
test.after.each(() => {
  t.cleanup();
});

test('on a legacy database checkSchema names exactly what each need lacks', () => {
  const db = t.open();
  createLegacyDb(db);
  assert.equal(checkSchema(db, 'server'), {
    ok: false,
    missing: ['nodes.multibyte_sup', 'nodes.multibyte_evidence'],
  });
  assert.equal(checkSchema(db, 'apply'), {
    ok: false,
    missing: ['nodes.multibyte_sup', 'nodes.multibyte_evidence', 'table mbcap_ledger'],
  });
});

test('after migrate both needs are met', () => {
  const db = t.open();
  createLegacyDb(db);
  migrate(db);
  assert.equal(checkSchema(db, 'server'), { ok: true, missing: [] });
  assert.equal(checkSchema(db, 'apply'), { ok: true, missing: [] });
});

test('an empty database lacks the tables, named once each', () => {
  const db = t.open();
  assert.equal(checkSchema(db, 'server').missing, ['table nodes', 'table transmissions']);
  assert.equal(checkSchema(db, 'apply').missing, ['table nodes', 'table mbcap_ledger']);
});

test('checkSchema works on a read-only connection and writes nothing', () => {
  const legacy = t.open();
  createLegacyDb(legacy);
  legacy.close();
  const ro = t.open({ readonly: true, fileMustExist: true });
  assert.equal(checkSchema(ro, 'server').missing, ['nodes.multibyte_sup', 'nodes.multibyte_evidence']);
  ro.close();

  // The real setup: the ingestor keeps its WAL connection open while the server reads
  const writer = t.open();
  migrate(writer);
  const server = t.open({ readonly: true, fileMustExist: true });
  assert.equal(checkSchema(server, 'server'), { ok: true, missing: [] });
  assert.is(hasTable(server, 'inactive_nodes'), true);
  assert.is(hasColumn(server, 'transmissions', 'path_json'), true);
  assert.equal(tableNames(server), ['inactive_nodes', 'mbcap_ledger', 'mbcap_meta', 'mbcap_refusals', 'mbcap_resets', 'nodes', 'observers', 'transmissions']);
});

test('inactive_nodes is optional, but when present it needs the same columns', () => {
  const db = t.open();
  db.exec(`CREATE TABLE nodes (public_key TEXT PRIMARY KEY, multibyte_sup INTEGER DEFAULT 0, multibyte_evidence TEXT)`);
  migrate(db);
  db.exec('DROP TABLE inactive_nodes');
  assert.equal(checkSchema(db, 'apply'), { ok: true, missing: [] });

  db.exec('CREATE TABLE inactive_nodes (public_key TEXT PRIMARY KEY, name TEXT)');
  assert.equal(checkSchema(db, 'apply').missing, ['inactive_nodes.multibyte_sup', 'inactive_nodes.multibyte_evidence']);
});

test('path_json is optional for the server and visible through hasColumn', () => {
  const db = t.open();
  createLegacyDb(db);
  db.exec('ALTER TABLE nodes ADD COLUMN multibyte_sup INTEGER DEFAULT 0; ALTER TABLE nodes ADD COLUMN multibyte_evidence TEXT');
  assert.equal(checkSchema(db, 'server'), { ok: true, missing: [] });
  assert.is(hasColumn(db, 'transmissions', 'path_json'), false);
  assert.is(hasTable(db, 'inactive_nodes'), false);
  assert.is(hasColumn(db, 'inactive_nodes', 'public_key'), false);
});

test('names compare case-insensitively, like SQLite', () => {
  const db = t.open();
  db.exec('CREATE TABLE NODES (Public_Key TEXT PRIMARY KEY, Multibyte_Sup INTEGER)');
  assert.is(hasTable(db, 'nodes'), true);
  assert.is(hasColumn(db, 'Nodes', 'MULTIBYTE_SUP'), true);
  assert.equal([...tableColumns(db, 'nodes')], ['public_key', 'multibyte_sup']);
});

test('odd table names are read safely, never executed', () => {
  const db = t.open();
  db.exec('CREATE TABLE "we""ird" (a TEXT); CREATE TABLE nodes (public_key TEXT)');
  assert.equal([...tableColumns(db, 'we"ird')], ['a']);
  const hostile = "nodes'); DROP TABLE nodes; --";
  assert.is(hasTable(db, hostile), false);
  assert.equal([...tableColumns(db, hostile)], []);
  assert.is(hasTable(db, 'nodes'), true);
});

test('an unknown need is a TypeError naming the choices', () => {
  const db = t.open();
  assert.throws(() => checkSchema(db, 'writer' as SchemaNeed), /Expected "need" to be 'server' or 'apply'/);
});

test.run();
