// What lies beside the database: links, owners and modes that someone who can write into
// the handoff directory could plant. The ingestor must never delete, copy or leak anything
// it did not make, whatever it finds there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeSnapshot } from '@mbcap/snapshot';
import { repoRoot, scratch, sleep, start } from './helpers.js';

const ingestorBin = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;
const serverBin = `${repoRoot}/apps/server/bin/mbcap-server.js`;
const cli = (bin: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
const KEY = 'k'.repeat(32);
const isRoot = process.getuid?.() === 0;

/** A database directory as an operator has it: the database with its -wal, a key file, backups. */
function operatorDir() {
  const s = scratch('mbcap-dir-');
  assert.is(cli(ingestorBin, 'migrate', '--db', s.db).status, 0);
  const conn = new Database(s.db);
  conn.prepare("INSERT INTO nodes (public_key, name) VALUES ('aa11', 'A')").run();
  // Keep a -wal on disk while the test runs, as a live database has
  conn.pragma('wal_autocheckpoint = 0');
  conn.prepare("UPDATE nodes SET name = 'A2' WHERE public_key = 'aa11'").run();
  const keyFile = join(s.dir, 'hmac.key');
  writeFileSync(keyFile, KEY, { mode: 0o600 });
  for (let i = 0; i < 12; i++) writeFileSync(join(s.dir, `mesh.db.bak${String(i).padStart(2, '0')}`), `backup ${i}`);
  mkdirSync(s.queue);
  return { ...s, conn, keyFile };
}

/**
 * Every file of a directory with a hash of its bytes, to compare before and after; the
 * database's own files by name only (a checkpoint rewrites them).
 */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const stats = lstatSync(join(dir, name));
    if (!stats.isFile()) continue;
    out[name] =
      name.startsWith('mesh.db') && !name.includes('.bak')
        ? 'database file'
        : createHash('sha256')
            .update(readFileSync(join(dir, name)))
            .digest('hex')
            .slice(0, 16);
  }
  return out;
}

test('rejected/ as a link to the database directory: nothing there is deleted or added, with or without a key', () => {
  const s = operatorDir();
  try {
    symlinkSync('..', join(s.queue, 'rejected'));
    const before = contents(s.dir);
    for (let i = 0; i < 3; i++) {
      // A new refused file each time: without a key, malformed; with one, unsigned
      writeFileSync(s.file, `{"writtenAt":"2026-11-21T23:00:0${i}Z","entries":[`);
      const plain = cli(ingestorBin, 'apply', '--db', s.db, '--json');
      assert.is(plain.status, 0, plain.stderr);
      assert.is(JSON.parse(plain.stdout).status, 'malformed');
      assert.match(plain.stderr, /no copy kept: not copied: .*rejected is a symbolic link, not a directory; remove it/);
      writeFileSync(s.file, `{"writtenAt":"2026-11-21T23:00:0${i}Z","entries":[]}`);
      const signed = cli(ingestorBin, 'apply', '--db', s.db, '--json', '--hmac-key-file', s.keyFile);
      assert.is(JSON.parse(signed.stdout).code, 'UNSIGNED', signed.stderr);
      assert.match(signed.stderr, /no copy kept/);
    }
    assert.equal(contents(s.dir), before, 'the database, its -wal, the key and the backups are all there, unchanged');
    assert.is(s.conn.prepare('SELECT name FROM nodes').pluck().get(), 'A2');
    assert.ok(lstatSync(join(s.queue, 'rejected')).isSymbolicLink(), 'the link is reported, not followed or replaced');
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test('rejected/ as a link to a directory elsewhere, under `run`: the files there survive, and the next good publish applies', async () => {
  const s = operatorDir();
  const elsewhere = join(s.dir, 'elsewhere');
  mkdirSync(elsewhere);
  // Files named like copies, older than any copy: the old pruning would have taken them first
  for (let i = 0; i < 12; i++)
    writeFileSync(join(elsewhere, `20000101T0000${String(i).padStart(2, '0')}.000Z-MALFORMED-${'0'.repeat(15)}${i.toString(16)}.json`), 'precious');
  symlinkSync(elsewhere, join(s.queue, 'rejected'));
  const before = contents(elsewhere);
  const run = start(ingestorBin, ['run', '--db', s.db, '--cron', '0 0 1 1 *', '--poll', '100ms']);
  let log = '';
  run.child.stderr!.on('data', (chunk) => (log += chunk));
  try {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && !/watching /.test(log); ) await sleep(50);
    for (let i = 0; i < 3; i++) {
      writeFileSync(s.file, `not json ${i}`);
      await sleep(300);
    }
    await writeSnapshot(s.db, { entries: [{ public_key: 'aa11', status: 'confirmed', evidence: 'advert' }] });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && s.conn.prepare('SELECT multibyte_sup FROM nodes').pluck().get() !== 2) await sleep(50);
    assert.is(s.conn.prepare('SELECT multibyte_sup FROM nodes').pluck().get(), 2);
  } finally {
    run.child.kill('SIGTERM');
  }
  const done = await run.done;
  try {
    assert.is(done.code, 0, done.stderr);
    assert.match(done.stderr, /snapshot refused: .*no copy kept: not copied: .*rejected is a symbolic link/);
    assert.equal(contents(elsewhere), before);
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test('pruning keeps the newest copies and deletes only its own: a planted file of another name, or a link, stays', () => {
  const s = operatorDir();
  try {
    const rejected = join(s.queue, 'rejected');
    mkdirSync(rejected, { mode: 0o700 });
    writeFileSync(join(rejected, 'notes.txt'), 'mine');
    symlinkSync(s.db, join(rejected, '19990101T000000.000Z-MALFORMED-0000000000000000.json'));
    for (let i = 0; i < 13; i++) {
      writeFileSync(s.file, `bad ${i}`);
      assert.is(cli(ingestorBin, 'apply', '--db', s.db, '--json').status, 0);
    }
    const names = readdirSync(rejected).sort();
    assert.ok(names.includes('notes.txt'));
    assert.ok(names.includes('19990101T000000.000Z-MALFORMED-0000000000000000.json'), 'a link is never unlinked by the pruning');
    assert.is(names.filter((n) => /^\d{8}T.*-MALFORMED-[0-9a-f]{16}\.json$/.test(n) && !n.startsWith('1999')).length, 10);
    assert.ok(lstatSync(s.db).isFile());
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test("rejected/ writable by others, or another user's: refused and reported, nothing copied into it", () => {
  const s = operatorDir();
  try {
    const rejected = join(s.queue, 'rejected');
    mkdirSync(rejected);
    chmodSync(rejected, 0o777);
    writeFileSync(s.file, 'bad');
    let out = cli(ingestorBin, 'apply', '--db', s.db, '--json');
    assert.match(out.stderr, /rejected is writable by other users \(mode 777\); chmod go-w/);
    assert.equal(readdirSync(rejected), []);
    if (isRoot) {
      chmodSync(rejected, 0o700);
      chownSync(rejected, 65534, 65534);
      writeFileSync(s.file, 'bad again');
      out = cli(ingestorBin, 'apply', '--db', s.db, '--json');
      assert.match(out.stderr, /rejected is owned by uid 65534, not by this user \(uid 0\)/);
      assert.equal(readdirSync(rejected), []);
    }
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test('a refused file hard-linked to a secret is not copied; a copy never has more permissions than the file, 0600 at most', () => {
  const s = operatorDir();
  try {
    const secret = join(s.dir, 'secret');
    writeFileSync(secret, "the operator's password", { mode: 0o600 });
    linkSync(secret, s.file);
    let out = cli(ingestorBin, 'apply', '--db', s.db, '--json');
    assert.is(JSON.parse(out.stdout).status, 'malformed');
    assert.match(out.stderr, /has 2 hard links, so its bytes may belong to another file; not copied/);
    const rejected = join(s.queue, 'rejected');
    const copies = readdirSync(s.queue).concat(existsSync(rejected) ? readdirSync(rejected) : []);
    assert.not.ok(
      copies.some((n) => n.includes('MALFORMED')),
      'no copy of the secret anywhere',
    );

    for (const [mode, expected] of [
      [0o644, 0o600],
      [0o640, 0o600],
      [0o400, 0o400],
    ] as const) {
      writeFileSync(`${s.file}.new`, `bad mode ${mode}`, { mode });
      chmodSync(`${s.file}.new`, mode);
      spawnSync('mv', [`${s.file}.new`, s.file]);
      out = cli(ingestorBin, 'apply', '--db', s.db, '--json');
      const copy = JSON.parse(out.stdout).copy as string;
      assert.ok(copy, out.stderr);
      assert.is(lstatSync(copy).mode & 0o777, expected, `a ${mode.toString(8)} file is kept as ${expected.toString(8)}`);
    }
    assert.is(lstatSync(rejected).mode & 0o777, 0o700, 'rejected/ is private to the ingestor');
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test('the handoff directory itself as a link: neither the server writes through it nor the ingestor reads through it', () => {
  const s = operatorDir();
  try {
    const elsewhere = join(s.dir, 'elsewhere');
    mkdirSync(elsewhere);
    spawnSync('rmdir', [s.queue]);
    symlinkSync(elsewhere, s.queue);
    const published = cli(serverBin, 'publish', '--db', s.db);
    assert.is.not(published.status, 0);
    assert.match(published.stderr, /refusing to write .*mbcap-snapshot\/snapshot.json: .*mbcap-snapshot is a symbolic link, not a directory/);
    assert.equal(readdirSync(elsewhere), []);

    writeFileSync(join(elsewhere, 'snapshot.json'), '{"writtenAt":"2026-11-21T23:00:00Z","entries":[{"public_key":"aa11","status":"confirmed"}]}');
    const applied = cli(ingestorBin, 'apply', '--db', s.db, '--json');
    const out = JSON.parse(applied.stdout);
    assert.equal([out.status, out.code], ['malformed', 'UNSAFE_DIRECTORY']);
    assert.match(applied.stderr, /refusing to read .*: .*mbcap-snapshot is a symbolic link/);
    assert.is(s.conn.prepare('SELECT multibyte_sup FROM nodes').pluck().get(), 0, 'nothing applied through the link');
    assert.equal(readdirSync(elsewhere), ['snapshot.json'], 'no rejected/ made through the link');
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test('a handoff directory writable by everyone (not sticky) is refused; sticky is accepted', () => {
  const s = operatorDir();
  try {
    chmodSync(s.queue, 0o777);
    const published = cli(serverBin, 'publish', '--db', s.db);
    assert.is.not(published.status, 0);
    assert.match(published.stderr, /mbcap-snapshot is writable by every user of this host; chmod o-w/);
    chmodSync(s.queue, 0o1777);
    assert.is(cli(serverBin, 'publish', '--db', s.db).status, 0);
    assert.is(JSON.parse(cli(ingestorBin, 'apply', '--db', s.db, '--json').stdout).status, 'applied');
  } finally {
    s.conn.close();
    s.cleanup();
  }
});

test.run();
