// `run` reacts to committed changes, not to its --interval: a new node's multi-byte advert
// is published within a moment, traffic that changes no status publishes nothing, two
// snapshots are never closer than --min-interval, and every --resync is a full pass, said
// in the log with its reason.
import { readFileSync, renameSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { advert, keyWith, message, minutesAgo, scratch, seedDb, startServer } from './helpers.js';

const A = keyWith('a1b2c3');

async function until<T>(what: string, fn: () => T | undefined, ms: number, log: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}:\n${log()}`);
}

type Line = { time: string; event: string; seq?: number; reason?: string };
const lines = (log: string): Line[] =>
  log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

test('a new node’s multi-byte advert is published at once; 1-byte traffic publishes nothing; snapshots keep --min-interval apart', async () => {
  const s = scratch();
  seedDb(s.db, {
    nodes: [{ key: A }],
    packets: Array.from({ length: 50 }, (_, i) => ({ raw_hex: message(1, ['a1', 'b2']), first_seen: minutesAgo(i) })),
  });
  // The fallback is a minute away: whatever happens here is a reaction to the change
  const run = startServer('--db', s.db, '--port', '0', '--interval', '60s', '--min-interval', '2s', '--log-format', 'json');
  const db = new Database(s.db);
  let n = 0;
  const insert = (raw: string, type: number, key?: string) =>
    db.transaction(() => {
      if (key) db.prepare('INSERT INTO nodes (public_key, name) VALUES (?, ?)').run(key, `new ${key.slice(0, 4)}`);
      db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type) VALUES (?, ?, ?, 1, ?)').run(
        raw,
        `r${n++}`,
        minutesAgo(0),
        type,
      );
    })();
  const snapshot = () => {
    try {
      return JSON.parse(readFileSync(s.file, 'utf8')) as { seq: number; entries: { public_key: string; status: string }[] };
    } catch {
      return undefined;
    }
  };
  try {
    await run.port();
    await until('the first snapshot', () => snapshot(), 20_000, run.log);

    // A node the database did not know, with its 2-byte advert, in one commit
    const B = keyWith('b7b7b7');
    const committed = Date.now();
    insert(advert(B, 2), 4, B);
    const second = await until(
      'B confirmed on disk',
      () => (snapshot()?.entries.find((e) => e.public_key === B)?.status === 'confirmed' ? snapshot() : undefined),
      10_000,
      run.log,
    );
    const reactedMs = Date.now() - committed;
    assert.is(second.seq, 2);
    assert.ok(reactedMs < 10_000, `published ${reactedMs} ms after the commit, not at the 60 s fallback`);

    // 1-byte traffic of known nodes: cycles run, nothing is written
    for (let i = 0; i < 20; i++) {
      insert(message(1, ['a1']), 2);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1500));
    assert.is(snapshot()!.seq, 2, 'no snapshot for traffic that changes no status');

    // Two changes in quick succession: the second waits out --min-interval after the first
    const C = keyWith('c7c7c7');
    const D = keyWith('d7d7d7');
    insert(advert(C, 2), 4, C);
    await until('C on disk', () => (snapshot()?.entries.some((e) => e.public_key === C) ? true : undefined), 10_000, run.log);
    insert(advert(D, 3), 4, D);
    await until('D on disk', () => (snapshot()?.entries.some((e) => e.public_key === D && e.status === 'confirmed') ? true : undefined), 10_000, run.log);
    // The log line follows the file
    const published = await until(
      'four publishes in the log',
      () => {
        const found = lines(run.log()).filter((l) => l.event === 'published');
        return found.length >= 4 ? found : undefined;
      },
      10_000,
      run.log,
    );
    assert.equal(
      published.map((l) => l.seq),
      [1, 2, 3, 4],
      run.log(),
    );
    const gap = Date.parse(published[3]!.time) - Date.parse(published[2]!.time);
    assert.ok(gap >= 1900, `snapshots 3 and 4 ${gap} ms apart, --min-interval 2s`);

    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
  } finally {
    db.close();
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('every --resync is a full pass, said with its reason; a deleted row is one too', async () => {
  const s = scratch();
  seedDb(s.db, {
    nodes: [{ key: A }],
    packets: [
      { raw_hex: advert(A, 2), first_seen: minutesAgo(5) },
      { raw_hex: message(1, ['a1']), first_seen: minutesAgo(4) },
    ],
  });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1s', '--resync', '2s', '--log-format', 'json');
  try {
    await run.port();
    const fullPasses = () => lines(run.log()).filter((l) => l.event === 'full-pass');
    await until('a resync', () => (fullPasses().some((l) => /since the last full pass \(--resync\)/.test(l.reason ?? '')) ? true : undefined), 15_000, run.log);
    assert.is(fullPasses()[0]!.reason, 'first pass');
    const db = new Database(s.db);
    db.prepare("DELETE FROM transmissions WHERE hash = 'h0'").run();
    db.close();
    await until(
      'a full pass for the deleted row',
      () =>
        fullPasses().some((l) => /the oldest transmissions were deleted \(the lowest id went from 1 to 2: retention or by hand\)/.test(l.reason ?? ''))
          ? true
          : undefined,
      15_000,
      run.log,
    );
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('the database file replaced under run (a restore): both the cycle and the API read the new one', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(5) }] });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '60s', '--log-format', 'json');
  try {
    const port = await run.port();
    await until('the first publish', () => (/published snapshot seq 1/.test(run.log()) ? true : undefined), 20_000, run.log);
    // Another file with one more node, renamed over the database
    const X = keyWith('e7e7e7');
    const next = `${s.dir}/restored.db`;
    seedDb(next, {
      nodes: [{ key: A }, { key: X }],
      packets: [
        { raw_hex: advert(A, 2), first_seen: minutesAgo(5) },
        { raw_hex: advert(X, 2), first_seen: minutesAgo(1) },
      ],
    });
    renameSync(next, s.db);
    await until('a full pass for the new file', () => (/"reason":"the database file was replaced"/.test(run.log()) ? true : undefined), 10_000, run.log);
    const listed = async () =>
      ((await (await fetch(`http://127.0.0.1:${port}/api/nodes`)).json()) as { nodes: { public_key: string }[] }).nodes.map((n) => n.public_key);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(await listed()).includes(X)) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await listed()).includes(X), "the API lists the new file's node");
    const statusOfX = () =>
      (JSON.parse(readFileSync(s.file, 'utf8')) as { entries: { public_key: string; status: string }[] }).entries.find((e) => e.public_key === X)?.status;
    await until('X confirmed on disk', () => (statusOfX() === 'confirmed' ? true : undefined), 10_000, run.log);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.run();
