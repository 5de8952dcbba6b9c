import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openServerDatabase } from '../src/database.js';
import { advert, keyWith, message, minutesAgo, scratch, seedDb, server, startServer } from './helpers.js';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

// Statements and calls that write a SQLite database.
const WRITES: [string, RegExp][] = [
  ['INSERT', /\bINSERT\s+(OR\s+\w+\s+)?INTO\b/i],
  ['UPDATE', /\bUPDATE\s+[\w"`[\].]+\s+SET\b/i],
  ['DELETE', /\bDELETE\s+FROM\b/i],
  ['REPLACE', /\bREPLACE\s+INTO\b/i],
  ['CREATE', /\bCREATE\s+(TEMP\s+|TEMPORARY\s+|UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b/i],
  ['ALTER', /\bALTER\s+TABLE\b/i],
  ['DROP', /\bDROP\s+(TABLE|INDEX|VIEW|TRIGGER)\b/i],
  ['VACUUM', /\bVACUUM\b/i],
  ['write PRAGMA', /\bPRAGMA\s+[\w.]+\s*=|\.pragma\(\s*['"`][^'"`]*=/i],
  ['exec()', /\b(?:db|conn|connection|database)\.exec\(/i],
  ['migrate()', /\bmigrate\s*\(/],
  ['a writable open', /readonly:\s*false/],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

test('no source file of the server holds a write statement', () => {
  const files = sources(srcDir);
  assert.ok(files.length >= 8, `found ${files.length} source files`);
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [what, pattern] of WRITES) if (pattern.test(text)) found.push(`${file}: ${what}`);
  }
  assert.equal(found, []);
});

test('the scan would catch a write (it is not vacuous)', () => {
  const samples = [
    "db.prepare('INSERT INTO nodes VALUES (1)')",
    'UPDATE nodes SET x = 1',
    "db.pragma('journal_mode = WAL')",
    'db.exec(sql)',
    'DELETE FROM t',
    'VACUUM',
  ];
  for (const sample of samples)
    assert.ok(
      WRITES.some(([, p]) => p.test(sample)),
      sample,
    );
});

// An absent -wal and an empty one hold the same: no frame. SQLite creates an empty one
// for a read-only connection to a WAL database.
const digest = (path: string) => {
  const bytes = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  return bytes.length === 0 ? 'empty' : createHash('sha256').update(bytes).digest('hex');
};

test('a publish and a run leave the database bytes unchanged', async () => {
  const s = scratch();
  try {
    const a = keyWith('a1b2');
    seedDb(s.db, {
      nodes: [{ key: a }, { key: keyWith('c3d4') }],
      packets: [
        { raw_hex: advert(a, 2), first_seen: minutesAgo(5) },
        { raw_hex: message(2, ['c3d4']), first_seen: minutesAgo(4) },
      ],
    });
    const before = [digest(s.db), digest(`${s.db}-wal`)];
    assert.is(server('publish', '--db', s.db).code, 0);
    const run = startServer('--db', s.db, '--port', '0', '--interval', '1s');
    const port = await run.port();
    for (const path of ['/healthz', '/api/nodes', '/api/multibyte-capability', '/metrics']) await fetch(`http://127.0.0.1:${port}${path}`);
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
    assert.equal([digest(s.db), digest(`${s.db}-wal`)], before);
  } finally {
    s.cleanup();
  }
});

test("a write through the server's own handle fails with SQLITE_READONLY", () => {
  const s = scratch();
  try {
    seedDb(s.db, { nodes: [{ key: keyWith('a1') }], packets: [] });
    const { db } = openServerDatabase(s.db);
    try {
      assert.ok(db.readonly);
      for (const sql of ['UPDATE nodes SET multibyte_sup = 2', "INSERT INTO nodes (public_key) VALUES ('ff')", 'CREATE TABLE x (y)']) {
        try {
          db.prepare(sql).run();
          assert.unreachable(`${sql} succeeded`);
        } catch (error) {
          assert.is((error as { code?: string }).code, 'SQLITE_READONLY', sql);
        }
      }
    } finally {
      db.close();
    }
  } finally {
    s.cleanup();
  }
});

test('a database without the columns it reads: exit 1 naming them, and how to fix it', async () => {
  const s = scratch();
  try {
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(s.db);
    db.exec('CREATE TABLE nodes (public_key TEXT PRIMARY KEY, name TEXT, role TEXT, last_seen TEXT)');
    db.close();
    const r = server('publish', '--db', s.db);
    assert.is(r.code, 1);
    assert.match(
      r.stderr,
      /lacks nodes\.multibyte_sup, nodes\.multibyte_evidence, table transmissions; bring it up to date with: mbcap-ingestor migrate --db /,
    );
    assert.not.ok(existsSync(s.file), 'nothing published');
  } finally {
    s.cleanup();
  }
});

test.run();
