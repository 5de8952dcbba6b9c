// `run` publishes only when something changed: a cycle whose entries the snapshot on disk
// already holds writes nothing (so the ingestor applies nothing), counts it and says so once.
// What happens to the file, or a reset of the rows, makes the next cycle publish again.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { advert, ingestor, keyWith, minutesAgo, scratch, seedDb, startServer } from './helpers.js';

const A = keyWith('a1b2c3');
const B = keyWith('b1b2c3');

type Health = { publishes: number; unchangedCycles: number; lastSuccess: { seq: number; unchanged: boolean } | null };

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000, log?: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${log ? `:\n${log()}` : ''}`);
}

test('nothing changed: no file written, counted, said once; a change, a deleted file, garbage or a reset publish again', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }, { key: B }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(5) }] });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1s');
  try {
    const port = await run.port();
    const health = async () => (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Health;
    const seqOnDisk = () => JSON.parse(readFileSync(s.file, 'utf8')).seq as number;

    // Quiet: one publish, then cycles that write nothing
    await until('three unchanged cycles', async () => ((await health()).unchangedCycles >= 3 ? true : undefined));
    const quiet = await health();
    assert.is(quiet.publishes, 1);
    assert.is(quiet.lastSuccess!.seq, 1);
    assert.is(quiet.lastSuccess!.unchanged, true);
    const before = statSync(s.file, { bigint: true });
    assert.is(seqOnDisk(), 1);
    assert.is(run.log().match(/nothing changed since snapshot seq 1/g)?.length, 1, run.log());
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^mbcap_cycles_unchanged_total [1-9]\d*$/m);
    assert.match(metrics, /^mbcap_publish_total 1$/m);

    // A status changes: published at once, and said again once it is quiet
    const db = new Database(s.db);
    db.prepare('INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type) VALUES (?, ?, ?, 1, 4)').run(advert(B, 3), 'hb', minutesAgo(1));
    db.close();
    await until('seq 2', async () => (seqOnDisk() === 2 ? true : undefined));
    assert.ok(statSync(s.file, { bigint: true }).ino !== before.ino || seqOnDisk() !== 1);
    const entries = JSON.parse(readFileSync(s.file, 'utf8')).entries as { public_key: string; status: string }[];
    assert.is(entries.find((e) => e.public_key === B)?.status, 'confirmed');
    await until('said again', async () => (/nothing changed since snapshot seq 2/.test(run.log()) ? true : undefined));

    // The file deleted, garbage in its place, an operator's reset (the next snapshot may
    // raise those rows again): each time, the next cycle publishes
    const publishedAgain = async (what: string, count: number) => {
      await until(what, async () => ((await health()).publishes === count ? true : undefined), 15_000, run.log);
      assert.is(JSON.parse(readFileSync(s.file, 'utf8')).entries.length, 2, what);
    };
    rmSync(s.file);
    await publishedAgain('a publish after the file was deleted', 3);
    writeFileSync(s.file, '{"not": "a snapshot"');
    await publishedAgain('a publish after garbage', 4);
    const reset = ingestor('reset', '--db', s.db, '--key', A);
    assert.is(reset.code, 0, reset.stderr);
    await publishedAgain('a publish after the reset', 5);
    await new Promise((r) => setTimeout(r, 2500));
    assert.is((await health()).publishes, 5, 'and quiet again');

    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('a restarted server finds the snapshot on disk current and publishes nothing', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: A }], packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(5) }] });
  try {
    for (const round of [1, 2]) {
      const run = startServer('--db', s.db, '--port', '0', '--interval', '1h');
      try {
        const port = await run.port();
        const done = await until('the first cycle', async () => {
          const h = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Health;
          return h.lastSuccess ?? undefined;
        });
        assert.equal(done, { ...done, seq: 1, unchanged: round === 2 }, `round ${round}`);
        run.child.kill('SIGTERM');
        assert.is(await run.exited, 0);
      } finally {
        run.child.kill('SIGKILL');
      }
    }
    assert.is(JSON.parse(readFileSync(s.file, 'utf8')).seq, 1);
  } finally {
    s.cleanup();
  }
});

test.run();
