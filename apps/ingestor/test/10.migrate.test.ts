import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createLegacyDb } from '../../../packages/dbschema/test/fixtures.js';
import { ingestor, scratch } from './helpers.js';

test('--help explains every command; bad usage exits 2 with a hint', () => {
  const help = ingestor('--help');
  assert.is(help.code, 0);
  for (const command of ['migrate', 'apply', 'run', 'status']) assert.match(help.stdout, command);
  const runHelp = ingestor('run', '--help');
  for (const option of ['--db', '--cron', '--watch', '--poll', '--hmac-key-file', '--migrate', '--max-future', '--log-format', '--synchronous'])
    assert.match(runHelp.stdout, option);
  for (const command of ['apply', 'import', 'reset']) assert.match(ingestor(command, '--help').stdout, /--synchronous\s+When a commit is on disk/);
  for (const args of [
    [],
    ['frobnicate'],
    ['apply'],
    ['apply', '--db', 'x.db', '--bogus'],
    ['run', '--db', 'x.db', '--poll', 'often'],
    ['run', '--db', 'x.db', '--log-format', 'xml'],
    ['import', '--db', 'x.db', 'f', '--synchronous', 'off'],
  ]) {
    const r = ingestor(...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^mbcap-ingestor: \S[\s\S]*\nRun mbcap-ingestor --help/);
  }
});

test('migrate creates a database with every table, then reports it up to date', () => {
  const s = scratch();
  try {
    const first = ingestor('migrate', '--db', s.db);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, /created table nodes/);
    assert.match(first.stdout, /created table mbcap_ledger/);
    assert.match(first.stdout, /journal_mode=wal/);
    const again = ingestor('migrate', '--db', s.db);
    assert.is(again.code, 0);
    assert.match(again.stdout, /already up to date/);
    const db = new Database(s.db, { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    db.close();
    for (const t of ['inactive_nodes', 'mbcap_ledger', 'mbcap_meta', 'nodes', 'transmissions']) assert.ok(tables.includes(t), t);
  } finally {
    s.cleanup();
  }
});

test('migrate on an older CoreScope database adds what is missing and loses nothing', () => {
  const s = scratch();
  try {
    const legacy = new Database(s.db);
    createLegacyDb(legacy);
    const before = legacy.prepare('SELECT public_key, name, hardware, advert_count FROM nodes ORDER BY public_key').all();
    const observers = legacy.prepare('SELECT * FROM observers ORDER BY id').all();
    const packets = legacy.prepare('SELECT count(*) FROM transmissions').pluck().get();
    legacy.close();

    const r = ingestor('migrate', '--db', s.db);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /added column nodes\.multibyte_sup/);
    assert.match(r.stdout, /created table inactive_nodes/);

    const db = new Database(s.db, { readonly: true });
    assert.equal(db.prepare('SELECT public_key, name, hardware, advert_count FROM nodes ORDER BY public_key').all(), before);
    assert.equal(db.prepare('SELECT * FROM observers ORDER BY id').all(), observers);
    assert.is(db.prepare('SELECT count(*) FROM transmissions').pluck().get(), packets);
    assert.equal(db.prepare('SELECT DISTINCT multibyte_sup FROM nodes').pluck().all(), [0]);
    db.close();
  } finally {
    s.cleanup();
  }
});

test('a missing database is an error for apply, run and status (migrate creates databases)', () => {
  const s = scratch();
  try {
    for (const command of ['apply', 'run', 'status']) {
      const r = ingestor(command, '--db', s.db);
      assert.is(r.code, 1, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /database not found: .*mesh\.db \(create it with: mbcap-ingestor migrate --db /);
    }
    assert.not.ok(existsSync(s.db), 'nothing was created');
  } finally {
    s.cleanup();
  }
});

test('a file that is not a database is refused with exit 1', async () => {
  const s = scratch();
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(s.db, 'this is not sqlite');
    const r = ingestor('apply', '--db', s.db);
    assert.is(r.code, 1);
    assert.match(r.stderr, /cannot open database .*mesh\.db: file is not a database/);
  } finally {
    s.cleanup();
  }
});

test('migrate run by root creates the database owned like its directory, so the service user can open it', () => {
  if (process.getuid?.() !== 0) return;
  const s = scratch();
  try {
    const dir = join(s.dir, 'mesh');
    mkdirSync(dir);
    chownSync(dir, 1500, 1500);
    const r = ingestor('migrate', '--db', join(dir, 'mesh.db'));
    assert.is(r.code, 0, r.stderr);
    const st = statSync(join(dir, 'mesh.db'));
    assert.equal([st.uid, st.gid], [1500, 1500]);
    assert.match(r.stdout, /owned by uid 1500, gid 1500, like its directory/);
    assert.equal(
      ['-wal', '-shm'].filter((end) => existsSync(join(dir, `mesh.db${end}`))),
      [],
    );

    // A database that already exists keeps its owner
    chownSync(join(dir, 'mesh.db'), 0, 0);
    assert.is(ingestor('migrate', '--db', join(dir, 'mesh.db')).code, 0);
    assert.is(statSync(join(dir, 'mesh.db')).uid, 0);
  } finally {
    s.cleanup();
  }
});

test.run();
