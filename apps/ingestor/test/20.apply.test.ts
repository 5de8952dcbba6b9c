import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeSnapshot, type MbcapEntry } from '@mbcap/snapshot';
import { applyJson, capabilities, ingestor, ledgerRows, scratch, seedDb } from './helpers.js';

const NODES = [
  { key: 'aa11', sup: 2, evidence: 'advert' }, // confirmed already
  { key: 'bb22' }, // unknown so far
  { key: 'cc33', sup: 1, evidence: 'path' }, // suspected already
  { key: 'dd44', inactive: true },
  { key: 'ee55', sup: 2, evidence: 'advert', inactive: true },
];

const ENTRIES: MbcapEntry[] = [
  { public_key: 'aa11', status: 'unknown' },
  { public_key: 'bb22', status: 'confirmed', evidence: 'advert' },
  { public_key: 'cc33', status: 'suspected', evidence: 'path' },
  { public_key: 'dd44', status: 'suspected', evidence: 'path' },
  { public_key: 'ee55', status: 'unknown' },
  { public_key: 'ff66', status: 'confirmed', evidence: 'advert' },
];

test('applied: both tables updated, unknown never written, missing keys counted, one ledger row', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    await writeSnapshot(s.db, { entries: ENTRIES });
    const out = applyJson(s.db);
    assert.is(out.status, 'applied');
    assert.is(out.read, 6);
    assert.is(out.updatedActive, 1);
    assert.is(out.updatedInactive, 1);
    assert.is(out.skipped, 2);
    assert.is(out.invalid, 0);
    assert.is(out.notFound, 1);
    assert.is(out.seq, 1);
    assert.match(String(out.contentHash), /^[0-9a-f]{64}$/);
    assert.type(out.durationMs, 'number');
    assert.match(
      out.stderr,
      /applied snapshot seq 1 \(6 entries\): 2 rows updated \(1 nodes, 1 inactive_nodes\), 2 unknown skipped, 1 already current, 1 key not in the database/,
    );
    assert.equal(capabilities(s.db), {
      aa11: [2, 'advert', 'nodes'], // the never-unknown guard: still confirmed
      bb22: [2, 'advert', 'nodes'],
      cc33: [1, 'path', 'nodes'],
      dd44: [1, 'path', 'inactive_nodes'],
      ee55: [2, 'advert', 'inactive_nodes'],
    });
    const ledger = ledgerRows(s.db);
    assert.is(ledger.length, 1);
    assert.is(ledger[0]!.content_hash, out.contentHash);
    assert.is(ledger[0]!.updated_active, 1);
    assert.is(ledger[0]!.not_found, 1);
  } finally {
    s.cleanup();
  }
});

test('unchanged: the same snapshot again writes nothing, not even a ledger row', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    await writeSnapshot(s.db, { entries: ENTRIES });
    applyJson(s.db);
    const before = readFileSync(s.db);
    const out = applyJson(s.db);
    assert.is(out.status, 'unchanged');
    assert.is(out.read, 6);
    assert.is(out.updatedActive, 0);
    assert.match(out.stderr, /snapshot seq 1 unchanged: already applied at .*; nothing written/);
    assert.is(ledgerRows(s.db).length, 1);
    assert.ok(readFileSync(s.db).equals(before), 'database file unchanged');
  } finally {
    s.cleanup();
  }
});

test('no-snapshot: a silent no-op with every count 0', () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    const out = applyJson(s.db);
    assert.is(out.status, 'no-snapshot');
    for (const k of ['read', 'updatedActive', 'updatedInactive', 'skipped', 'invalid', 'notFound']) assert.is(out[k], 0, k);
    assert.is(out.seq, null);
  } finally {
    s.cleanup();
  }
});

test('malformed: logged with the reason, a copy kept, the database untouched', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, '{"writtenAt":"2026-11-21T23:00:00Z","entries":[{"public_key":"bb22","status":"confirmed"');
    const before = capabilities(s.db);
    const out = applyJson(s.db);
    assert.is(out.status, 'malformed');
    assert.is(out.code, 'MALFORMED');
    assert.is(out.read, 0);
    assert.match(
      out.stderr,
      /snapshot refused: malformed \(MALFORMED: .*snapshot\.json: malformed snapshot \(.+\)\); kept a copy at .*rejected\/.*; database untouched/,
    );
    assert.equal(capabilities(s.db), before);
    assert.equal(readdirSync(join(s.queue, 'rejected')).length, 1);
    assert.is(ledgerRows(s.db).length, 0);
    // Every refusal code takes the same path: a wrong checksum, say
    await writeSnapshot(s.db, { entries: ENTRIES });
    writeFileSync(s.file, readFileSync(s.file, 'utf8').replace('"bb22","status":"confirmed"', '"bb22","status":"suspected"'));
    const tampered = applyJson(s.db);
    assert.is(tampered.status, 'malformed');
    assert.is(tampered.code, 'CHECKSUM_MISMATCH');
    assert.equal(capabilities(s.db), before);
  } finally {
    s.cleanup();
  }
});

test('schema-missing: a legacy database with --no-migrate is a clean skip naming the column', async () => {
  const s = scratch();
  try {
    const db = new Database(s.db);
    db.exec("CREATE TABLE nodes (public_key TEXT PRIMARY KEY, name TEXT); INSERT INTO nodes VALUES ('bb22', 'B');");
    db.close();
    await writeSnapshot(s.db, { entries: ENTRIES });
    const out = applyJson(s.db, '--no-migrate');
    assert.is(out.status, 'schema-missing');
    assert.ok((out.missing as string[]).includes('nodes.multibyte_sup'));
    assert.match(out.stderr, /skipped: the database lacks .*nodes\.multibyte_sup.*; run: mbcap-ingestor migrate --db /);
    // Without --no-migrate, apply migrates first and applies
    const migrated = applyJson(s.db);
    assert.is(migrated.status, 'applied');
    assert.equal(capabilities(s.db).bb22, [2, 'advert', 'nodes']);
  } finally {
    s.cleanup();
  }
});

test('stale: a snapshot with a lower seq written before the last applied one writes nothing; --force applies it (and still lowers nothing)', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    mkdirSync(s.queue, { recursive: true });
    const doc = (seq: number, writtenAt: string, status: string, evidence: string) =>
      `{"version":1,"seq":${seq},"writtenAt":"${writtenAt}","entries":[{"public_key":"bb22","status":"${status}","evidence":"${evidence}"}]}`;
    writeFileSync(s.file, doc(2, '2026-11-21T23:00:00Z', 'confirmed', 'advert'));
    assert.is(applyJson(s.db).status, 'applied');
    writeFileSync(s.file, doc(1, '2026-11-21T22:00:00Z', 'suspected', 'path'));
    const out = applyJson(s.db);
    assert.is(out.status, 'stale');
    assert.match(
      out.stderr,
      /snapshot seq 1 is stale: written 2026-11-21T22:00:00Z \(seq 1\), before the last applied snapshot, written 2026-11-21T23:00:00Z \(seq 2\)/,
    );
    assert.equal(capabilities(s.db).bb22, [2, 'advert', 'nodes']);
    const forced = applyJson(s.db, '--force');
    assert.is(forced.status, 'applied');
    assert.is(forced.forced, true);
    assert.is(forced.keptHigher, 1);
    assert.equal(capabilities(s.db).bb22, [2, 'advert', 'nodes'], 'a stored value only rises, forced or not');
    assert.is(ledgerRows(s.db).at(-1)!.forced, 1);
    assert.is(ledgerRows(s.db).at(-1)!.kept_higher, 1);
  } finally {
    s.cleanup();
  }
});

test('order: a higher seq is newer whatever its writtenAt (a clock that stepped back); a later writtenAt is newer whatever its seq (a restarted publisher)', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    mkdirSync(s.queue, { recursive: true });
    const doc = (seq: number, writtenAt: string, status: string) =>
      `{"version":1,"seq":${seq},"writtenAt":"${writtenAt}","entries":[{"public_key":"bb22","status":"${status}"}]}`;
    writeFileSync(s.file, doc(50, '2026-11-21T23:00:00Z', 'suspected'));
    assert.is(applyJson(s.db).status, 'applied');
    writeFileSync(s.file, doc(51, '2026-11-20T23:00:00Z', 'confirmed'));
    const stepped = applyJson(s.db);
    assert.is(stepped.status, 'applied', 'a higher seq wins over an earlier time');
    assert.is(stepped.clockStepMs, 86_400_000);
    assert.match(stepped.stderr, /warn +applied snapshot seq 51 .*: the publisher's clock stepped back, and the higher seq made it newer/);
    writeFileSync(s.file, doc(1, '2026-11-20T23:05:00Z', 'suspected'));
    assert.is(applyJson(s.db).status, 'applied', 'a later time wins over a lower seq');
    writeFileSync(s.file, doc(1, '2026-11-20T23:04:00Z', 'confirmed'));
    assert.is(applyJson(s.db).status, 'stale', 'same seq, earlier time: stale');
    writeFileSync(s.file, doc(0, '2026-11-20T23:05:00Z', 'confirmed'));
    assert.is(applyJson(s.db).status, 'stale', 'same time, lower seq: stale');
  } finally {
    s.cleanup();
  }
});

test('a writtenAt far in the future is refused like a malformed file, so it cannot wedge later applies', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    await writeSnapshot(s.db, { writtenAt: new Date(Date.now() + 3_600_000), entries: [{ public_key: 'bb22', status: 'confirmed' }] });
    const out = applyJson(s.db);
    assert.is(out.status, 'malformed');
    assert.is(out.code, 'FUTURE');
    assert.match(
      out.stderr,
      /snapshot refused: from the future \(FUTURE: writtenAt .* is 3[56]\d\d s ahead of this clock, more than the 10 min --max-future allows; check the publisher's clock \(NTP\), or raise --max-future/,
    );
    assert.is(applyJson(s.db, '--force').status, 'malformed', 'not even forced');
    assert.is(applyJson(s.db, '--max-future', '2h').status, 'applied', 'the tolerance is configurable');
    await writeSnapshot(s.db, { entries: [{ public_key: 'bb22', status: 'suspected', evidence: 'path' }] });
    assert.is(applyJson(s.db).status, 'applied', 'a later publish, with a higher seq, still applies');
  } finally {
    s.cleanup();
  }
});

test('HMAC: with --hmac-key-file only snapshots signed with that key are applied', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    const keyFile = join(s.dir, 'key');
    writeFileSync(keyFile, 'correct horse battery\n', { mode: 0o600 });
    await writeSnapshot(s.db, { entries: ENTRIES });
    const unsigned = applyJson(s.db, '--hmac-key-file', keyFile);
    assert.is(unsigned.status, 'malformed');
    assert.is(unsigned.code, 'UNSIGNED');
    await writeSnapshot(s.db, { entries: ENTRIES }, { hmacKey: 'battery staple' });
    assert.is(applyJson(s.db, '--hmac-key-file', keyFile).code, 'BAD_SIGNATURE');
    await writeSnapshot(s.db, { entries: ENTRIES }, { hmacKey: 'correct horse battery' });
    assert.is(applyJson(s.db, '--hmac-key-file', keyFile).status, 'applied', 'the trailing newline of the key file is not part of the key');
    const missing = ingestor('apply', '--db', s.db, '--hmac-key-file', join(s.dir, 'nope'));
    assert.is(missing.code, 2, 'a key file that is not there is bad configuration');
    assert.match(missing.stderr, /cannot read the HMAC key file/);
  } finally {
    s.cleanup();
  }
});

test('restart survival: values and ledger are intact after close and reopen', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    await writeSnapshot(s.db, { entries: ENTRIES });
    applyJson(s.db);
    const caps = capabilities(s.db);
    const ledger = ledgerRows(s.db);
    // A new process, a new connection
    const status = ingestor('status', '--db', s.db, '--json');
    assert.is(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.is(report.snapshot.state, 'applied');
    assert.is(report.history.length, 1);
    assert.equal(capabilities(s.db), caps);
    assert.equal(ledgerRows(s.db), ledger);
    assert.is(applyJson(s.db).status, 'unchanged');
  } finally {
    s.cleanup();
  }
});

test('status tells whether the current snapshot is applied yet, in words', async () => {
  const s = scratch();
  try {
    seedDb(s.db, NODES);
    assert.match(ingestor('status', '--db', s.db).stdout, /snapshot: none yet[\s\S]*history: nothing applied yet/);
    await writeSnapshot(s.db, { entries: ENTRIES });
    assert.match(ingestor('status', '--db', s.db).stdout, /snapshot seq 1: written .* ago\), 6 entries; NOT applied yet/);
    applyJson(s.db);
    const text = ingestor('status', '--db', s.db).stdout;
    assert.match(text, /snapshot seq 1: .*; applied at /);
    assert.match(text, /history \(newest first\):\n {2}\S+ {2}seq 1 +6 entries: 2 rows updated \(1 nodes, 1 inactive\), 2 unknown, 1 not found/);
    assert.match(text, /refused files: none recorded/);

    // A refused file, twice: counted by code, the last one named
    const file = join(s.dir, 'mbcap-snapshot', 'snapshot.json');
    for (let i = 0; i < 2; i++) {
      writeFileSync(file, '{"version":1,"seq":');
      assert.is(applyJson(s.db).code, 'MALFORMED');
    }
    const refused = ingestor('status', '--db', s.db);
    assert.match(refused.stdout, /refused files: 2 \(MALFORMED 2\); the last at \S+: MALFORMED \(.*malformed snapshot/);
    assert.equal(JSON.parse(ingestor('status', '--db', s.db, '--json').stdout).refusals.totals, { MALFORMED: 2 });
  } finally {
    s.cleanup();
  }
});

test('a stored value only rises: unknown → suspected → confirmed apply, a later suspected keeps confirmed and is counted', async () => {
  const s = scratch();
  try {
    seedDb(s.db, [{ key: 'aa11' }, { key: 'bb22', inactive: true }]);
    const step = async (status: MbcapEntry['status'], evidence?: 'advert' | 'path') => {
      const entry = (public_key: string) => (evidence ? { public_key, status, evidence } : { public_key, status }) as MbcapEntry;
      await writeSnapshot(s.db, { entries: [entry('aa11'), entry('bb22')] });
      return applyJson(s.db);
    };
    assert.is((await step('unknown')).skipped, 2);
    assert.equal(capabilities(s.db), { aa11: [0, null, 'nodes'], bb22: [0, null, 'inactive_nodes'] });
    assert.is((await step('suspected', 'path')).keptHigher, 0);
    assert.equal(capabilities(s.db), { aa11: [1, 'path', 'nodes'], bb22: [1, 'path', 'inactive_nodes'] });
    await step('confirmed', 'advert');
    assert.equal(capabilities(s.db), { aa11: [2, 'advert', 'nodes'], bb22: [2, 'advert', 'inactive_nodes'] });

    // The adverts left the window: the server now says suspected; the rows stay confirmed
    const out = await step('suspected', 'path');
    assert.is(out.status, 'applied');
    assert.is(out.updatedActive, 0);
    assert.is(out.updatedInactive, 0);
    assert.is(out.keptHigher, 2);
    assert.equal(capabilities(s.db), { aa11: [2, 'advert', 'nodes'], bb22: [2, 'advert', 'inactive_nodes'] });
    assert.match(
      out.stderr,
      /applied snapshot seq 4 \(2 entries\): 0 rows updated \(0 nodes, 0 inactive_nodes\), 0 unknown skipped, 2 kept confirmed \(the snapshot said suspected; clear with mbcap-ingestor reset\)/,
    );
    assert.is(ledgerRows(s.db).at(-1)!.kept_higher, 2);
    assert.match(ingestor('status', '--db', s.db).stdout, /seq 4 +2 entries: 0 rows updated \(0 nodes, 0 inactive\), 0 unknown, 0 not found, 2 kept higher/);
  } finally {
    s.cleanup();
  }
});

test.run();
