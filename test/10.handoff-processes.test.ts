import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, watch } from 'node:fs';
import { isTempName, SnapshotError } from '@mbcap/handoff';
import { readSnapshot } from '@mbcap/snapshot';
import { fixture, run, scratch, sleep, start } from './helpers.js';

// Real processes on a real directory: the reduced campaign of the reliability suite.

test('no torn read while two writer processes publish in a loop', async () => {
  const s = scratch();
  try {
    const writers = [start(fixture('writer-loop.mjs'), [s.db, '150', '800', 'a']), start(fixture('writer-loop.mjs'), [s.db, '150', '800', 'b'])];
    await sleep(100);
    const reader = JSON.parse((await run(fixture('reader-loop.mjs'), [s.db, '1500'])).stdout);
    const done = await Promise.all(writers.map((w) => w.done));
    for (const w of done) {
      assert.is(w.code, 0, w.stderr);
      assert.equal(JSON.parse(w.stdout), { written: 150, errors: 0 });
    }
    assert.is(reader.torn, 0, 'torn reads');
    assert.equal(
      Object.keys(reader.codes).filter((c) => c !== 'NOT_FOUND'),
      [],
      `reader errors: ${JSON.stringify(reader.codes)}`,
    );
    assert.ok(reader.ok >= 1000, `good reads: ${reader.ok}`);
    assert.ok(reader.distinct > 5, `the reader saw many publishes (${reader.distinct})`);
    assert.equal(readdirSync(s.queue), ['snapshot.json'], 'no temp file left');
  } finally {
    s.cleanup();
  }
});

test('kill -9 of a writer mid-write leaves the previous or the new snapshot, and temps do not pile up', async () => {
  const s = scratch();
  try {
    let valid = 0;
    let midWrite = 0;
    mkdirSync(s.queue);
    for (let i = 0; i < 25; i++) {
      const writer = start(fixture('writer-loop.mjs'), [s.db, '0', '20000', String(i)]);
      if (i % 2 === 0) {
        // Aim at the write itself: kill the moment one of its temp files appears.
        await new Promise<void>((resolve) => {
          const watcher = watch(s.queue, (_event, name) => {
            if (name && isTempName('snapshot.json', name) && name.includes(`.${writer.child.pid}.`)) {
              writer.child.kill('SIGKILL');
              watcher.close();
              resolve();
            }
          });
        });
      } else {
        await sleep(300 + ((i * 37) % 400));
      }
      writer.child.kill('SIGKILL');
      const { signal } = await writer.done;
      assert.is(signal, 'SIGKILL');
      try {
        const { snapshot } = await readSnapshot(s.db);
        assert.is(new Set(snapshot.entries.map((e) => e.public_key.slice(0, 4))).size, 1);
        assert.is(snapshot.entries.length, 20000);
        valid++;
      } catch (error) {
        // Only before the very first publish completed may there be no file.
        assert.ok(error instanceof SnapshotError && error.code === 'NOT_FOUND' && valid === 0, String(error));
      }
      const temps = readdirSync(s.queue).filter((n) => isTempName('snapshot.json', n));
      assert.ok(temps.length <= 1, `temp files piled up: ${temps.join(', ')}`);
      if (temps.some((n) => n.includes(`.${writer.child.pid}.`))) midWrite++;
    }
    // Kills aimed at the write can land before a first publish ever completes; enough must not.
    assert.ok(valid >= 10, `valid snapshots after kills: ${valid}`);
    console.log(`kills: ${valid} left a valid snapshot, ${midWrite} landed mid-write`);
    assert.ok(midWrite >= 5, `kills that landed mid-write: ${midWrite} of 25`);
  } finally {
    s.cleanup();
  }
});

test.run();
