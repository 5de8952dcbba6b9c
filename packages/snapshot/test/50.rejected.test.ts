import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SnapshotError } from '@mbcap/handoff';
import { mbcapHandoff, readSnapshot, writeSnapshot } from '../src/index.js';
import { key, scratch } from './helpers.js';

async function refusedNow(db: string): Promise<SnapshotError> {
  return readSnapshot(db).then(
    () => {
      throw new Error('accepted');
    },
    (error: SnapshotError) => error,
  );
}

test('a copy of the refused bytes is kept, and a good snapshot published meanwhile is untouched', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, '{"writtenAt":"2026-11-21T23:00:00Z","entries":[');
    const error = await refusedNow(s.db);
    // The publisher replaces the bad file before the copy is made
    await writeSnapshot(s.db, { entries: [{ public_key: key(1), status: 'confirmed' }] });
    const good = readFileSync(s.file);
    const copy = await mbcapHandoff.keepRejected(s.db, error);
    assert.ok(copy);
    assert.match(copy!, /rejected\/\d{8}T\d{6}\.\d{3}Z-MALFORMED-[0-9a-f]{16}\.json$/);
    assert.is(readFileSync(copy!, 'utf8'), '{"writtenAt":"2026-11-21T23:00:00Z","entries":[');
    assert.equal(readFileSync(s.file), good, 'the good snapshot is intact');
    assert.equal((await readSnapshot(s.db)).snapshot.entries.length, 1);
  } finally {
    s.cleanup();
  }
});

test('the same bad bytes are kept once; only the newest copies are kept', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    const copies: string[] = [];
    for (let i = 0; i < 6; i++) {
      writeFileSync(s.file, `{"bad": ${i}`);
      const error = await refusedNow(s.db);
      copies.push((await mbcapHandoff.keepRejected(s.db, error, { keep: 3 }))!);
      assert.is(await mbcapHandoff.keepRejected(s.db, error, { keep: 3 }), copies[i], 'no second copy of the same bytes');
      await new Promise((r) => setTimeout(r, 2));
    }
    const kept = readdirSync(join(s.queue, 'rejected')).sort();
    assert.is(kept.length, 3);
    assert.equal(
      kept.map((n) => join(s.queue, 'rejected', n)),
      copies.slice(3).sort(),
    );
  } finally {
    s.cleanup();
  }
});

test('nothing to copy for a refusal without bytes (a directory, a file too large)', async () => {
  const s = scratch();
  try {
    mkdirSync(s.file, { recursive: true });
    const error = await refusedNow(s.db);
    assert.is(error.code, 'NOT_REGULAR_FILE');
    assert.is(await mbcapHandoff.keepRejected(s.db, error), null);
  } finally {
    s.cleanup();
  }
});

test('a huge refused file is kept truncated, named .partial', async () => {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, `{"junk":"${'x'.repeat(5000)}`);
    const copy = await mbcapHandoff.keepRejected(s.db, await refusedNow(s.db), { maxCopyBytes: 1000 });
    assert.match(copy!, /\.json\.partial$/);
    assert.is(readFileSync(copy!).length, 1000);
  } finally {
    s.cleanup();
  }
});

test.run();
