import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsumerEvent, ConsumerOptions, ReadResult } from '@mbcap/handoff';
import { createSnapshotConsumer, writeSnapshot, type MbcapEntry } from '../src/index.js';
import { eventually, key, scratch, sleep } from './helpers.js';

type Seen = { results: ReadResult<MbcapEntry>[]; events: ConsumerEvent[] };

function consumer(db: string, options: Partial<ConsumerOptions<MbcapEntry>> = {}) {
  const seen: Seen = { results: [], events: [] };
  const c = createSnapshotConsumer(db, {
    cron: null,
    pollMs: 0,
    handler: (result) => {
      seen.results.push(result);
    },
    onEvent: (event) => seen.events.push(event),
    ...options,
  });
  return { c, seen };
}

const one = (i: number): MbcapEntry[] => [{ public_key: key(i), status: 'confirmed', evidence: 'advert' }];
const types = (seen: Seen) => seen.events.map((e) => e.type);

test('handles the current file at start, then each publish by watching alone', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db);
  try {
    await writeSnapshot(s.db, { entries: one(1) });
    await c.start();
    assert.is(seen.results.length, 1);
    assert.equal(seen.results[0]!.snapshot.entries, one(1));
    await writeSnapshot(s.db, { entries: one(2) });
    assert.ok(await eventually(() => seen.results.length === 2, 3000), 'the publish was handled');
    assert.equal(seen.results[1]!.snapshot.entries, one(2));
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('creates a missing directory and reports "absent" once; nothing is handled', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db, { pollMs: 20 });
  try {
    await c.start();
    assert.ok(existsSync(s.queue));
    await sleep(120);
    assert.is(seen.results.length, 0);
    assert.equal(types(seen), ['ready', 'absent']);
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('the last snapshot of every burst is handled, even with a slow handler', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db, {
    handler: async (result) => {
      seen.results.push(result);
      await sleep(15);
    },
  });
  try {
    await c.start();
    for (let burst = 0; burst < 20; burst++) {
      let last = 0;
      for (let i = 0; i < 5; i++) {
        last = burst * 10 + i;
        await writeSnapshot(s.db, { entries: one(last) });
        await sleep(5);
      }
      const done = await eventually(() => seen.results.at(-1)?.snapshot.entries[0]?.public_key === key(last), 1500);
      assert.ok(done, `burst ${burst}: the last publish was not handled`);
    }
    assert.ok(seen.results.length < 100, `bursts coalesced (${seen.results.length} handler calls for 100 publishes)`);
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('with watching off, the cron tick picks the publish up', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db, { watch: false, cron: '* * * * * *' });
  try {
    await c.start();
    await writeSnapshot(s.db, { entries: one(3) });
    assert.ok(await eventually(() => seen.results.length === 1, 3000), 'handled on a tick');
    assert.equal(seen.results[0]!.snapshot.entries, one(3));
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('the same content is handled once, even when the file is replaced by a copy of itself', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db, { pollMs: 20 });
  try {
    await writeSnapshot(s.db, { entries: one(4) });
    await c.start();
    copyFileSync(s.file, join(s.dir, 'copy.json'));
    renameSync(join(s.dir, 'copy.json'), s.file);
    c.trigger('manual');
    await sleep(150);
    assert.is(seen.results.length, 1);
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('a bad file is reported once, a copy is kept, and the next good publish is handled', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db, { pollMs: 20 });
  try {
    await writeSnapshot(s.db, { entries: one(5) });
    await c.start();
    const good = readFileSync(s.file);
    writeFileSync(join(s.queue, 'bad'), good.subarray(0, 60));
    renameSync(join(s.queue, 'bad'), s.file);
    assert.ok(await eventually(() => types(seen).includes('rejected'), 3000));
    await sleep(150);
    for (let i = 0; i < 3; i++) await c.runNow('tick');
    const rejected = seen.events.filter((e) => e.type === 'rejected');
    assert.is(rejected.length, 1, 'reported once');
    const event = rejected[0] as Extract<ConsumerEvent, { type: 'rejected' }>;
    assert.is(event.error.code, 'MALFORMED');
    assert.ok(event.copy && existsSync(event.copy));
    assert.equal(readFileSync(event.copy!), good.subarray(0, 60));
    assert.equal(readdirSync(join(s.queue, 'rejected')).length, 1);
    await writeSnapshot(s.db, { entries: one(6) });
    assert.ok(await eventually(() => seen.results.length === 2, 3000));
    assert.equal(seen.results[1]!.snapshot.entries, one(6));
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('a failing handler is retried until it succeeds', async () => {
  const s = scratch();
  let calls = 0;
  const { c, seen } = consumer(s.db, {
    handler: (result) => {
      calls++;
      if (calls === 1) throw new Error('database is locked');
      seen.results.push(result);
    },
  });
  try {
    await writeSnapshot(s.db, { entries: one(7) });
    await c.start();
    assert.ok(types(seen).includes('failed'));
    assert.ok(await eventually(() => seen.results.length === 1, 3000), 'retried');
    assert.is(calls, 2);
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('stop waits for the handler in flight', async () => {
  const s = scratch();
  let finished = false;
  const { c } = consumer(s.db, {
    handler: async () => {
      await sleep(200);
      finished = true;
    },
  });
  await writeSnapshot(s.db, { entries: one(8) });
  const started = c.start();
  await sleep(50);
  await c.stop();
  assert.ok(finished, 'the handler finished before stop resolved');
  await started;
  s.cleanup();
});

test('a snapshot directory removed and made again is watched anew', async () => {
  const s = scratch();
  const { c, seen } = consumer(s.db, { pollMs: 100 });
  try {
    await c.start();
    rmSync(s.queue, { recursive: true });
    mkdirSync(s.queue);
    assert.ok(await eventually(() => types(seen).includes('rewatched'), 3000), 'watched anew');
    await writeSnapshot(s.db, { entries: one(9) });
    assert.ok(await eventually(() => seen.results.length === 1, 3000));
    assert.equal(seen.results[0]!.snapshot.entries, one(9));
  } finally {
    await c.stop();
    s.cleanup();
  }
});

test('misuse is refused with a message naming the option', () => {
  const s = scratch();
  try {
    mkdirSync(s.queue);
    assert.throws(() => createSnapshotConsumer(s.db, { handler: () => {}, cron: 'every five minutes' }), /"cron" option/);
    assert.throws(() => createSnapshotConsumer(s.db, { handler: () => {}, pollMs: -5 }), /"pollMs" option/);
    assert.throws(() => createSnapshotConsumer(s.db, {} as never), /"handler" option/);
  } finally {
    s.cleanup();
  }
});

test.run();
