// The consumer over the second handoff, with and without a codec: the current file at
// start, each new write, a refused file reported once and copied, the next good one handled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsumerEvent, ReadResult } from '../src/index.js';
import { both, eventually, heard, scratch, sleep, type Hops } from './hops.js';

for (const [mode, hops] of Object.entries(both)) {
  test(`${mode}: the consumer handles the current file, each new write, and refuses a bad one once`, async () => {
    const s = scratch();
    const results: ReadResult<Hops>[] = [];
    const events: ConsumerEvent[] = [];
    const consumer = hops.createConsumer(s.db, { cron: null, pollMs: 50, handler: (r) => void results.push(r), onEvent: (e) => events.push(e) });
    try {
      await hops.write(s.db, { entries: heard(5, 1) });
      await consumer.start();
      assert.is(results.length, 1, 'the current file at start');
      assert.equal(results[0]!.snapshot.entries, heard(5, 1));

      await hops.write(s.db, { entries: heard(7, 2) });
      assert.ok(await eventually(() => results.length === 2), 'the new write was handled');
      assert.equal(results[1]!.snapshot.entries, heard(7, 2));

      // Garbage put in place the way a writer would (rename), so it is seen whole
      writeFileSync(join(s.handoffDir, 'garbage'), '{"writtenAt":"2026-11-21T23:00:00Z","entries":[{"node":"a","hops":1}');
      renameSync(join(s.handoffDir, 'garbage'), s.file);
      assert.ok(await eventually(() => events.some((e) => e.type === 'rejected')), 'the bad file was reported');
      await sleep(200); // several polls: reported once, not again
      const rejected = events.filter((e) => e.type === 'rejected');
      assert.is(rejected.length, 1);
      const event = rejected[0] as Extract<ConsumerEvent, { type: 'rejected' }>;
      assert.is(event.error.code, 'MALFORMED');
      assert.equal(readFileSync(event.copy!, 'utf8'), '{"writtenAt":"2026-11-21T23:00:00Z","entries":[{"node":"a","hops":1}');
      assert.is(readdirSync(join(s.handoffDir, 'rejected')).length, 1);
      assert.is(results.length, 2, 'nothing handled for the bad file');

      await hops.write(s.db, { entries: heard(9, 3) });
      assert.ok(await eventually(() => results.length === 3), 'the next good write was handled');
      assert.equal(results[2]!.snapshot.entries, heard(9, 3));
      assert.is(results[2]!.snapshot.seq, 3, 'seq continues past the garbage');
    } finally {
      await consumer.stop();
      s.cleanup();
    }
  });
}

test.run();
