import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineHandoff } from '@mbcap/handoff';
import { mbcapHandoff, readSnapshot, writeSnapshot } from '../src/index.js';
import { key, scratch } from './helpers.js';

const entries = [
  { public_key: key(1), status: 'confirmed' as const, evidence: 'advert' as const },
  { public_key: key(2), status: 'suspected' as const, evidence: 'path' as const },
  { public_key: key(3), status: 'unknown' as const },
];

test('round trip: what is written is read back, with seq, writtenAt and a verified checksum', async () => {
  const s = scratch();
  try {
    const written = await writeSnapshot(s.db, { writtenAt: '2026-11-21T23:00:00.000Z', entries });
    assert.is(written.path, s.file);
    assert.is(written.seq, 1);
    assert.is(written.entries, 3);
    assert.is(written.bytes, statSync(s.file).size);
    const read = await readSnapshot(s.db);
    assert.equal(read.snapshot.entries, entries);
    assert.is(read.snapshot.version, 1);
    assert.is(read.snapshot.seq, 1);
    assert.is(read.snapshot.writtenAt, '2026-11-21T23:00:00.000Z');
    assert.is(read.snapshot.writtenAtMs, Date.parse('2026-11-21T23:00:00.000Z'));
    assert.is(read.checksum, 'verified');
    assert.is(read.signature, 'absent');
    assert.is(read.contentHash, written.contentHash);
    assert.is(read.invalid, 0);
    // The bytes on disk: one JSON object, integrity trailer last, newline-terminated
    const text = readFileSync(s.file, 'utf8');
    assert.match(text, /^\{"version":1,"seq":1,"writtenAt":"2026-11-21T23:00:00.000Z","entries":\[/);
    assert.match(text, /,"checksum":"sha256:[0-9a-f]{64}"\}\n$/);
    assert.is(JSON.parse(text).entries.length, 3);
  } finally {
    s.cleanup();
  }
});

test('writtenAt defaults to now; entries are written in canonical form', async () => {
  const s = scratch();
  try {
    const before = Date.now();
    await writeSnapshot(s.db, { entries: [{ public_key: 'AB12', status: 'unknown', evidence: '' } as never] });
    const read = await readSnapshot(s.db);
    assert.ok(read.snapshot.writtenAtMs >= before && read.snapshot.writtenAtMs <= Date.now());
    assert.equal(read.snapshot.entries, [{ public_key: 'AB12', status: 'unknown' }]);
    assert.not.match(readFileSync(s.file, 'utf8'), /evidence/);
  } finally {
    s.cleanup();
  }
});

test('entries in another shape are written in canonical form; a change after the call does not reach the file', async () => {
  const s = scratch();
  try {
    const given = [
      { status: 'confirmed', public_key: key(1), evidence: 'advert' }, // another key order
      { public_key: key(2), status: 'suspected', evidence: 'path', note: 'extra' }, // an unknown key
      { public_key: key(3), status: 'unknown' },
    ];
    const pending = writeSnapshot(s.db, { entries: given as never });
    given[2]!.status = 'confirmed';
    given.push({ public_key: key(4), status: 'confirmed' });
    await pending;
    const text = readFileSync(s.file, 'utf8');
    assert.ok(
      text.includes(
        `"entries":[{"public_key":"${key(1)}","status":"confirmed","evidence":"advert"},{"public_key":"${key(2)}","status":"suspected","evidence":"path"},{"public_key":"${key(3)}","status":"unknown"}],"checksum"`,
      ),
      text.slice(0, 400),
    );
    // A character outside ASCII whose low byte is a hex digit (š is U+0161) is refused, not mangled
    try {
      await writeSnapshot(s.db, { entries: [{ public_key: 'a\u0161', status: 'confirmed' }] });
      assert.unreachable('accepted a non-hex key');
    } catch (error) {
      assert.match((error as Error).message, /index 0: public_key/);
    }
  } finally {
    s.cleanup();
  }
});

test('a large write is checked in its bytes: an invalid entry is refused and the previous snapshot stays; another shape is rewritten canonical', async () => {
  const s = scratch();
  try {
    const big = Array.from({ length: 20_000 }, (_, i) => ({ public_key: key(i), status: 'confirmed' as const, evidence: 'advert' as const }));
    await writeSnapshot(s.db, { entries: big });
    const before = readFileSync(s.file);
    // Invalid, far into the array: refused, naming it; no temp file left, the file unchanged
    const bad = big.map((e, i) => (i === 15_000 ? { ...e, status: 'maybe' } : e));
    try {
      await writeSnapshot(s.db, { entries: bad as never });
      assert.unreachable('accepted an invalid entry');
    } catch (error) {
      assert.match((error as Error).message, /index 15000: status/);
    }
    assert.equal(readdirSync(join(s.dir, 'mbcap-snapshot')), ['snapshot.json']);
    assert.ok(readFileSync(s.file).equals(before), 'the previous snapshot is intact');
    // Valid, one entry in another key order: written, and in canonical form
    const shuffled = big.map((e, i) => (i === 19_999 ? { evidence: e.evidence, status: e.status, public_key: e.public_key } : e));
    const written = await writeSnapshot(s.db, { entries: shuffled });
    const text = readFileSync(s.file, 'utf8');
    assert.is(written.bytes, Buffer.byteLength(text));
    assert.ok(text.includes(`{"public_key":"${key(19_999)}","status":"confirmed","evidence":"advert"}],"checksum"`));
    const read = await readSnapshot(s.db);
    assert.is(read.snapshot.count, 20_000);
    assert.is(read.contentHash, written.contentHash);
    // Signed: verified by a reader
    const signed = await writeSnapshot(s.db, { entries: big }, { hmacKey: 'k3y' });
    const verified = await readSnapshot(s.db, { hmacKey: 'k3y' });
    assert.is(verified.signature, 'verified');
    assert.is(verified.contentHash, signed.contentHash);
    assert.equal(verified.snapshot.entries, big);
  } finally {
    s.cleanup();
  }
});

test('an invalid write never replaces a pending valid one; a valid one replaces an invalid pending one', async () => {
  const s = scratch();
  try {
    const one = (i: number, status = 'confirmed') => ({ entries: [{ public_key: key(i), status }] as never });
    const first = writeSnapshot(s.db, one(1)); // in flight
    const second = writeSnapshot(s.db, one(2)); // pending
    const invalid = writeSnapshot(s.db, one(3, 'maybe')); // refused at once: would replace a pending write
    const [a, b, c] = await Promise.allSettled([first, second, invalid]);
    assert.is(a.status, 'fulfilled');
    assert.is(b.status, 'fulfilled');
    assert.is(c.status, 'rejected');
    assert.equal((await readSnapshot(s.db)).snapshot.entries, [{ public_key: key(2), status: 'confirmed' }]);

    const inFlight = writeSnapshot(s.db, one(4));
    const pendingInvalid = writeSnapshot(s.db, one(5, 'maybe')); // pending, not yet checked
    const replacing = writeSnapshot(s.db, one(6)); // checks the pending one: it is refused, not coalesced
    const [d, e, f] = await Promise.allSettled([inFlight, pendingInvalid, replacing]);
    assert.is(d.status, 'fulfilled');
    assert.is(e.status, 'rejected');
    assert.match(String((e as PromiseRejectedResult).reason), /index 0: status/);
    assert.is(f.status, 'fulfilled');
    assert.is((f as PromiseFulfilledResult<{ coalesced: boolean }>).value.coalesced, false);
    assert.equal((await readSnapshot(s.db)).snapshot.entries, [{ public_key: key(6), status: 'confirmed' }]);
  } finally {
    s.cleanup();
  }
});

test('misuse is refused before anything is written, naming the problem', async () => {
  const s = scratch();
  try {
    for (const [input, options, message] of [
      [{ entries: 'x' }, {}, /"entries" array/],
      [{ entries: [{ public_key: 'zz', status: 'confirmed' }] }, {}, /index 0: public_key/],
      [{ entries: [{ public_key: 'aa', status: 'maybe' }] }, {}, /index 0: status/],
      [{ entries: [], writtenAt: 'yesterday' }, {}, /"writtenAt"/],
      [{ entries: [] }, { hmacKey: '' }, /"hmacKey"/],
      [{ entries: [] }, { mode: 0o1000 }, /"mode"/],
    ] as const) {
      try {
        await writeSnapshot(s.db, input as never, options as never);
        assert.unreachable(`accepted ${JSON.stringify(input)}`);
      } catch (error) {
        assert.instance(error, Error);
        assert.match((error as Error).message, message);
      }
    }
    assert.equal(readdirSync(s.dir), [], 'nothing was created');
  } finally {
    s.cleanup();
  }
});

test('seq only grows, across writes and across process restarts', async () => {
  const s = scratch();
  try {
    assert.is((await writeSnapshot(s.db, { entries })).seq, 1);
    assert.is((await writeSnapshot(s.db, { entries })).seq, 2);
    // Another process (a restarted publisher) continues from the file on disk
    const script = `import('${new URL('../dist/index.js', import.meta.url).href}').then(m => m.writeSnapshot(${JSON.stringify(s.db)}, { entries: [] })).then(r => console.log(r.seq))`;
    const seq = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
    assert.is(seq, '3');
    assert.is((await writeSnapshot(s.db, { entries })).seq, 4);
    assert.is((await readSnapshot(s.db)).snapshot.seq, 4);
  } finally {
    s.cleanup();
  }
});

test('1,000 concurrent writes: the last one is on disk, and they coalesce', async () => {
  const s = scratch();
  try {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => writeSnapshot(s.db, { entries: [{ public_key: key(i), status: 'confirmed' }] })));
    const read = await readSnapshot(s.db);
    assert.equal(read.snapshot.entries, [{ public_key: key(999), status: 'confirmed' }]);
    assert.is(results[999]!.coalesced, false);
    assert.is(results[999]!.seq, read.snapshot.seq);
    const diskWrites = results.filter((r) => !r.coalesced).length;
    assert.ok(diskWrites <= 2, `expected at most 2 disk writes, saw ${diskWrites}`);
    assert.equal(readdirSync(s.queue), ['snapshot.json'], 'no temp file left');
  } finally {
    s.cleanup();
  }
});

test('the file mode is 0644 whatever the umask, or the one asked for', async () => {
  const s = scratch();
  const old = process.umask(0o077);
  try {
    await writeSnapshot(s.db, { entries });
    assert.is(statSync(s.file).mode & 0o777, 0o644);
    await writeSnapshot(s.db, { entries }, { mode: 0o640 });
    assert.is(statSync(s.file).mode & 0o777, 0o640);
  } finally {
    process.umask(old);
    s.cleanup();
  }
});

test('a failed write removes its temp file and leaves the previous snapshot', async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries });
    const before = readFileSync(s.file);
    // A non-empty directory in the way makes the rename fail after the temp file was written.
    const blocked = defineHandoff({ ...mbcapHandoff.spec, fileName: 'blocked' });
    mkdirSync(join(s.queue, 'blocked'));
    writeFileSync(join(s.queue, 'blocked', 'x'), 'x');
    await blocked.write(s.db, { entries }).then(
      () => assert.unreachable('rename over a non-empty directory succeeded'),
      (error: NodeJS.ErrnoException) => assert.ok(['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(error.code!), error.message),
    );
    assert.equal(readdirSync(s.queue).sort(), ['blocked', 'snapshot.json'], 'the temp file is gone');
    assert.equal(readFileSync(s.file), before);
  } finally {
    s.cleanup();
  }
});

test("temp files of dead writers are swept by the next write; a live writer's are not", async () => {
  const s = scratch();
  try {
    await writeSnapshot(s.db, { entries });
    // A pid that is certainly gone: a child that already exited.
    const dead = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).trim());
    const alive = process.ppid;
    writeFileSync(join(s.queue, `.snapshot.json.${dead}.0.1.tmp`), '{"half":');
    writeFileSync(join(s.queue, `.snapshot.json.${dead}.0.2.tmp`), '');
    writeFileSync(join(s.queue, `.snapshot.json.${alive}.0.1.tmp`), '{"in progress":');
    await writeSnapshot(s.db, { entries });
    assert.equal(readdirSync(s.queue).sort(), [`.snapshot.json.${alive}.0.1.tmp`, 'snapshot.json']);
  } finally {
    s.cleanup();
  }
});

test.run();
