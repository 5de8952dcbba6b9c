// The toolkit through a handoff that is not the capability snapshot (hops.ts), with and
// without a codec: what lands on disk, what a reader gets, what is refused and kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineHandoff, isSnapshotError, type SnapshotError } from '../src/index.js';
import { both, heard, scratch, type Hops } from './hops.js';

for (const [mode, hops] of Object.entries(both)) {
  test(`${mode}: the file on disk is one line of JSON: envelope, entries, checksum of the bytes before it`, async () => {
    const s = scratch();
    try {
      const entries: Hops[] = [
        { node: 'gw-1', hops: 0 },
        { node: 'relay-7', hops: 2 },
      ];
      const result = await hops.write(s.db, { entries, writtenAt: '2026-11-21T23:00:00.000Z' });
      const bytes = readFileSync(s.file);
      const text = bytes.toString('utf8');
      assert.is(result.path, s.file);
      assert.is(result.seq, 1);
      assert.is(result.bytes, bytes.length);
      assert.is(result.contentHash, createHash('sha256').update(bytes).digest('hex'));
      assert.ok(
        text.startsWith(
          '{"version":1,"seq":1,"writtenAt":"2026-11-21T23:00:00.000Z","entries":[{"node":"gw-1","hops":0},{"node":"relay-7","hops":2}],"checksum":"sha256:',
        ),
        text,
      );
      assert.ok(text.endsWith('"}\n'));
      const covered = bytes.subarray(0, text.indexOf(',"checksum"'));
      assert.is(JSON.parse(text).checksum, `sha256:${createHash('sha256').update(covered).digest('hex')}`);
      assert.is(statSync(s.file).mode & 0o777, 0o644);
      assert.equal(readdirSync(s.handoffDir), ['hops.json'], 'no temp file left');
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: a reader gets the entries, in order, with seq and checksum verified`, async () => {
    const s = scratch();
    try {
      await hops.write(s.db, { entries: heard(3, 1) });
      await hops.write(s.db, { entries: heard(500, 4) });
      const read = await hops.read(s.db);
      assert.is(read.snapshot.seq, 2);
      assert.is(read.snapshot.count, 500);
      assert.equal(read.snapshot.entries, heard(500, 4));
      assert.is(read.checksum, 'verified');
      assert.is(read.invalid, 0);
      assert.is(read.snapshot.table === null, mode === 'plain', 'packed only with the codec');
      if (read.snapshot.table) assert.is(read.snapshot.table.keyAt(499), 'ndv');
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: an invalid entry refuses the write with its index; the previous file stays byte for byte`, async () => {
    const s = scratch();
    try {
      await hops.write(s.db, { entries: heard(3, 1) });
      const before = readFileSync(s.file);
      const bad = [...heard(10, 2), { node: 'Gateway', hops: 2 }];
      await hops.write(s.db, { entries: bad }).then(
        () => assert.unreachable('an invalid entry was written'),
        (error: Error) => assert.match(error.message, /^Invalid entry at index 10: node: node must be 1 to 32 characters/),
      );
      await hops.write(s.db, { entries: [{ node: 'a', hops: 256 }] }).then(
        () => assert.unreachable('hops above 255 were written'),
        (error: Error) => assert.match(error.message, /^Invalid entry at index 0: hops: /),
      );
      assert.equal(readFileSync(s.file), before);
      assert.equal(readdirSync(s.handoffDir), ['hops.json']);
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: a large write (over 1 MiB) is refused for an invalid entry far in, and rewritten canonical for another shape`, async () => {
    const s = scratch();
    try {
      const big = heard(60_000, 5);
      await hops.write(s.db, { entries: heard(3, 1) });
      const before = readFileSync(s.file);
      const bad = big.map((e, i) => (i === 55_000 ? { ...e, hops: -1 } : e));
      await hops.write(s.db, { entries: bad }).then(
        () => assert.unreachable('an invalid entry was written'),
        (error: Error) => assert.match(error.message, /^Invalid entry at index 55000: hops: /),
      );
      assert.equal(readFileSync(s.file), before);
      assert.equal(readdirSync(s.handoffDir), ['hops.json']);
      const shuffled = big.map((e, i) => (i === 59_999 ? ({ hops: e.hops, node: e.node } as Hops) : e));
      const written = await hops.write(s.db, { entries: shuffled });
      assert.ok(written.bytes > 1 << 20, `${written.bytes} bytes`);
      assert.match(readFileSync(s.file, 'utf8'), /\{"node":"n1aan","hops":5\}\],"checksum"/);
      const read = await hops.read(s.db);
      assert.equal(read.snapshot.entries, big);
      assert.is(read.contentHash, written.contentHash);
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: an entry in another shape is written in canonical form`, async () => {
    const s = scratch();
    try {
      await hops.write(s.db, { entries: [{ hops: 3, node: 'b' } as Hops, { node: 'c', hops: 1, extra: true } as Hops] });
      assert.match(readFileSync(s.file, 'utf8'), /"entries":\[\{"node":"b","hops":3\},\{"node":"c","hops":1\}\]/);
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: a reader drops an invalid entry and counts it; the rest is read`, async () => {
    const s = scratch();
    try {
      mkdirSync(s.handoffDir);
      writeFileSync(
        s.file,
        '{"writtenAt":"2026-11-21T23:00:00+01:00","entries":[{"node":"a","hops":1},{"node":"B!","hops":2},{"node":"c","hops":300},{ "node" : "d", "hops" : 7 }]}',
      );
      const read = await hops.read(s.db);
      assert.equal(read.snapshot.entries, [
        { node: 'a', hops: 1 },
        { node: 'd', hops: 7 },
      ]);
      assert.is(read.invalid, 2);
      assert.equal(
        read.invalidSamples.map((x) => x.index),
        [1, 2],
      );
      assert.is(read.snapshot.seq, null);
      assert.is(read.checksum, 'absent');
      assert.is(read.snapshot.writtenAtMs, Date.UTC(2026, 10, 21, 22, 0, 0));
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: of 1000 writes started at once, the last one is on disk and every caller is answered`, async () => {
    const s = scratch();
    try {
      const writes = Array.from({ length: 1000 }, (_, i) => hops.write(s.db, { entries: [{ node: `w${i}`, hops: i % 256 }] }));
      const results = await Promise.all(writes);
      assert.equal((await hops.read(s.db)).snapshot.entries, [{ node: 'w999', hops: 999 % 256 }]);
      assert.is(results[999]!.coalesced, false);
      const onDisk = new Set(results.filter((r) => !r.coalesced).map((r) => r.seq));
      assert.ok(onDisk.size <= 3, `${onDisk.size} writes reached the disk for 1000 calls`);
      assert.is(results.at(-1)!.seq, Math.max(...results.map((r) => r.seq)));
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: a refused file gets its code, and a copy of its bytes is kept in rejected/`, async () => {
    const s = scratch();
    try {
      await hops.write(s.db, { entries: heard(20, 3) });
      const bytes = readFileSync(s.file);
      bytes[bytes.indexOf('"hops":3') + 7] = 0x35; // 3 → 5: valid JSON, wrong checksum
      writeFileSync(s.file, bytes);
      const error = await hops.read(s.db).then(
        () => assert.unreachable('an altered file was accepted'),
        (e: unknown) => e as SnapshotError,
      );
      assert.ok(isSnapshotError(error, 'CHECKSUM_MISMATCH'), String(error));
      const copy = await hops.keepRejected(s.db, error);
      assert.match(copy!, /\/hops\/rejected\/\d{8}T\d{6}\.\d{3}Z-CHECKSUM_MISMATCH-[0-9a-f]{16}\.json$/);
      assert.equal(readFileSync(copy!), bytes);
      assert.is(statSync(copy!).mode & 0o777, 0o600);
      assert.is(statSync(join(s.handoffDir, 'rejected')).mode & 0o777, 0o700);
      assert.equal(readFileSync(s.file), bytes, 'the refused file itself is left alone');
    } finally {
      s.cleanup();
    }
  });

  test(`${mode}: signed with a key, read with another: BAD_SIGNATURE; unsigned where a key is required: UNSIGNED`, async () => {
    const s = scratch();
    try {
      await hops.write(s.db, { entries: heard(2, 1) }, { hmacKey: 'one key' });
      assert.is((await hops.read(s.db, { hmacKey: 'one key' })).signature, 'verified');
      await hops.read(s.db, { hmacKey: 'another key' }).then(
        () => assert.unreachable('a file signed with another key was accepted'),
        (e: unknown) => assert.ok(isSnapshotError(e, 'BAD_SIGNATURE'), String(e)),
      );
      await hops.write(s.db, { entries: heard(2, 1) });
      await hops.read(s.db, { hmacKey: 'one key' }).then(
        () => assert.unreachable('an unsigned file was accepted'),
        (e: unknown) => assert.ok(isSnapshotError(e, 'UNSIGNED'), String(e)),
      );
    } finally {
      s.cleanup();
    }
  });
}

test('the definition names its own place: a location that is not a plain name is refused', () => {
  for (const [mode, hops] of Object.entries(both)) assert.is(hops.path('/srv/net/net.db'), '/srv/net/hops/hops.json', mode);
  const entry = both.plain.spec.entry;
  assert.throws(() => defineHandoff({ dirName: '../elsewhere', fileName: 'hops.json', entry }), /Expected "dirName" to be a plain file name/);
  assert.throws(() => defineHandoff({ dirName: 'hops', fileName: '.hidden', entry }), /Expected "fileName" to be a plain file name/);
  assert.throws(() => defineHandoff({ dirName: 'hops', fileName: 'hops.json', entry: {} as typeof entry }), /Expected "entry" to be a zod schema/);
});

test.run();
