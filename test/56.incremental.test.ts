// `run` keeps its result current by reading only the rows added since its last step, and
// answers what it cannot follow with a full pass. Here a database changes under it, step
// after step: packets and nodes added, evidence ageing out under an injected clock, the
// clock going back, rows deleted, the schema changed, the file replaced, a row rewritten.
// After every step its entries and every node's explanation must equal a full recompute
// over the same database at the same time.
import { copyFileSync, renameSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { createRng, type Rng } from '@mbcap/meshgen';
import { adoptionOf } from '../apps/server/src/adoption.js';
import { computeCapabilities } from '../apps/server/src/compute.js';
import { openServerDatabase } from '../apps/server/src/database.js';
import { explainKept } from '../apps/server/src/explain-kept.js';
import { createIncremental, type Incremental, type Step } from '../apps/server/src/incremental.js';
import { applyKeptPatch, copyKept, keptPatch, type KeptEvidence } from '../apps/server/src/kept.js';
import { scratch } from './helpers.js';
import { DAY, hasPathJson, insertManyAdverts, insertNodes, insertPackets, randomDb, randomKeys } from './random-db.js';

const HOUR = 3_600_000;

/**
 * What the API thread holds: the whole state after a rebuild, else the last one patched with
 * the nodes that changed, as run-cycle.ts sends them.
 */
function createApiCopy(incremental: Incremental) {
  let copy: KeptEvidence | null = null;
  return () => {
    const kept = incremental.result().kept!;
    const asOf = { since: kept.since, computedAt: kept.computedAt };
    const changed = incremental.takeKeptChanges();
    if (changed === 'all' || copy === null) copy = copyKept(kept, asOf);
    else applyKeptPatch(copy, keptPatch(kept, changed));
    copy = { ...copy, ...asOf };
    return copy;
  };
}

/** The incremental result at `now` equals a full recompute, entry by entry and node by node, also as the API thread holds it. */
function assertSame(dbPath: string, incremental: Incremental, api: () => KeptEvidence, windowMs: number | null, now: number, label: string): void {
  const source = openServerDatabase(dbPath);
  try {
    const full = computeCapabilities(source, { windowMs, now, keep: true });
    const ours = incremental.result();
    const held = api();
    assert.equal(ours.entries, full.entries, `${label}: entries`);
    assert.equal(ours.counts, full.counts, `${label}: counts`);
    assert.equal(ours.skippedRows, full.skippedRows, `${label}: skipped rows`);
    assert.is(ours.windowStart, full.windowStart, `${label}: window start`);
    const adoption = adoptionOf(full.kept!);
    assert.equal(adoptionOf(ours.kept!), adoption, `${label}: adoption per day`);
    assert.equal(adoptionOf(held), adoption, `${label}: adoption per day in the API thread`);
    for (const key of full.entries.map((e) => e.public_key)) {
      const expected = explainKept(source, full.kept!, key);
      assert.equal(explainKept(source, ours.kept!, key), expected, `${label}: explanation of ${key}`);
      assert.equal(explainKept(source, held, key), expected, `${label}: explanation of ${key} in the API thread`);
    }
  } finally {
    source.db.close();
  }
}

type Change = { name: string; full: RegExp | null; apply(db: Database.Database, path: string): void };

/** One random change to the database or the clock, and whether it must cause a full pass. */
function randomChange(rng: Rng, keys: string[], clock: { now: number }, step: number): Change {
  const times = () => Array.from({ length: 4 }, () => clock.now - rng.int(9 * DAY) + rng.pick([0, 0, 0, HOUR]));
  const roll = rng.int(100);
  if (roll < 40)
    return { name: 'packets added', full: null, apply: (db) => db.transaction(() => insertPackets(db, rng, keys, times(), rng.between(1, 40), `s${step}-`))() };
  if (roll < 52)
    return {
      name: 'nodes added with their adverts',
      full: null,
      apply: (db) => {
        const fresh = randomKeys(rng, 3).slice(0, 3);
        keys.push(...fresh);
        db.transaction(() => {
          insertNodes(db, rng, fresh, 1000 + step * 10);
          insertPackets(db, rng, keys, times(), 10, `n${step}-`);
        })();
      },
    };
  if (roll < 57)
    return {
      name: 'a node removed',
      full: null,
      apply: (db) => {
        const key = rng.pick(keys);
        db.prepare('DELETE FROM nodes WHERE public_key = ?').run(key);
        db.prepare('DELETE FROM inactive_nodes WHERE public_key = ?').run(key);
      },
    };
  if (roll < 62) return { name: 'many adverts of one node', full: null, apply: (db) => insertManyAdverts(db, rng, rng.pick(keys), times(), 25, `m${step}-`) };
  if (roll < 80)
    return {
      name: 'the clock moves on, evidence ages out',
      full: null,
      apply: () => {
        clock.now += rng.pick([HOUR, 6 * HOUR, DAY, 2 * DAY]);
      },
    };
  if (roll < 83)
    return {
      name: 'the clock goes back',
      full: /clock went back/,
      apply: () => {
        clock.now -= rng.pick([HOUR, DAY]);
      },
    };
  if (roll < 88)
    return {
      name: 'old rows deleted (retention)',
      full: /deleted/,
      apply: (db) => {
        db.prepare('DELETE FROM transmissions WHERE rowid IN (SELECT rowid FROM transmissions ORDER BY rowid LIMIT 20)').run();
      },
    };
  if (roll < 90)
    return {
      name: 'rows deleted from the middle',
      full: /deleted/,
      apply: (db) => {
        db.prepare('DELETE FROM transmissions WHERE rowid IN (SELECT rowid FROM transmissions ORDER BY rowid LIMIT 3 OFFSET 100)').run();
      },
    };
  if (roll < 92)
    return {
      name: 'the newest rows deleted (max(id) goes back)',
      full: /went back|deleted|changed or is gone/,
      apply: (db) => {
        db.prepare('DELETE FROM transmissions WHERE rowid IN (SELECT rowid FROM transmissions ORDER BY rowid DESC LIMIT 5)').run();
      },
    };
  if (roll < 94)
    return {
      name: 'the newest row rewritten (a restore)',
      full: /changed or is gone/,
      apply: (db) => {
        db.prepare(
          "UPDATE transmissions SET hash = hash || '-restored', raw_hex = '1140' || substr(raw_hex, 5) WHERE rowid = (SELECT max(rowid) FROM transmissions)",
        ).run();
      },
    };
  if (roll < 97)
    return {
      name: 'the schema changed (path_json added or dropped)',
      full: /schema changed/,
      apply: (db) => db.exec(hasPathJson(db) ? 'ALTER TABLE transmissions DROP COLUMN path_json' : 'ALTER TABLE transmissions ADD COLUMN path_json TEXT'),
    };
  return {
    name: 'the file replaced by another database',
    full: /replaced/,
    apply: (db, path) => {
      db.close();
      const next = `${path}.next`;
      copyFileSync(path, next);
      const other = new Database(next);
      other.transaction(() => insertPackets(other, rng, keys, times(), 30, `r${step}-`))();
      other.close();
      renameSync(next, path);
    },
  };
}

test('a database changing under the server: every step equals a full recompute', () => {
  const tally = new Map<string, number>();
  let incrementalSteps = 0;
  let appendedSteps = 0;
  let fullSteps = 0;
  for (let seed = 1; seed <= 8; seed++) {
    const rng = createRng(seed * 7919);
    const s = scratch();
    const clock = { now: Date.UTC(2026, 10, 20) };
    const windowMs = seed % 4 === 0 ? null : 7 * DAY;
    const incremental = createIncremental({ dbPath: s.db, windowMs, resyncMs: 30 * DAY });
    const api = createApiCopy(incremental);
    try {
      const keys = randomDb(s.db, rng, clock.now);
      let step: Step = incremental.step(clock.now);
      assert.is(step.full, 'first pass');
      assertSame(s.db, incremental, api, windowMs, clock.now, `seed ${seed} start`);
      for (let i = 0; i < 30; i++) {
        const change = randomChange(rng, keys, clock, i);
        let db = new Database(s.db);
        try {
          change.apply(db, s.db);
        } finally {
          if (db.open) db.close();
        }
        const before = incremental.result().entries;
        step = incremental.step(clock.now);
        const label = `seed ${seed} step ${i} (${change.name})`;
        // What the step says it changed decides what is published and sent: it must not understate
        const after = incremental.result().entries;
        const statuses = (entries: typeof after) => entries.map((e) => `${e.public_key} ${e.status} ${e.evidence ?? ''}`);
        if (!step.statusChanged) assert.equal(statuses(after), statuses(before), `${label}: statuses unchanged as the step says`);
        if (!step.entriesChanged) assert.equal(after, before, `${label}: entries unchanged as the step says`);
        if (change.full === null) assert.is(step.full, null, `${label}: read only the new rows`);
        else assert.match(step.full ?? '', change.full, `${label}: a full pass with its reason`);
        tally.set(change.name, (tally.get(change.name) ?? 0) + 1);
        if (change.name === 'nodes added with their adverts' && step.appended > 0) appendedSteps++;
        if (step.full === null) incrementalSteps++;
        else fullSteps++;
        assertSame(s.db, incremental, api, windowMs, clock.now, label);
        db = new Database(s.db);
        db.close();
      }
    } finally {
      incremental.close();
      s.cleanup();
    }
  }
  // Every kind of change happened, and most steps read only the new rows
  assert.is(tally.size, 12, [...tally.keys()].join(', '));
  assert.ok(incrementalSteps > 2 * fullSteps, `${incrementalSteps} incremental steps, ${fullSteps} full passes`);
  // Nodes added were appended, not read again whole
  assert.ok(appendedSteps >= (tally.get('nodes added with their adverts') ?? 0) / 2, `${appendedSteps} steps appended their nodes`);
});

test('a full pass every --resync, and nothing read when nothing changed', () => {
  const s = scratch();
  const now = Date.UTC(2026, 10, 20);
  const incremental = createIncremental({ dbPath: s.db, windowMs: 7 * DAY, resyncMs: HOUR });
  try {
    randomDb(s.db, createRng(5), now);
    assert.is(incremental.step(now).full, 'first pass');
    const quiet = incremental.step(now + 1000);
    assert.equal(
      { full: quiet.full, read: quiet.read, status: quiet.statusChanged, entries: quiet.entriesChanged, kept: quiet.keptChanged },
      { full: null, read: 0, status: false, entries: false, kept: false },
    );
    assert.match(incremental.step(now + HOUR).full ?? '', /3600 s since the last full pass \(--resync\)/);
    assertSame(s.db, incremental, createApiCopy(incremental), 7 * DAY, now + HOUR, 'after the resync');
  } finally {
    incremental.close();
    s.cleanup();
  }
});

test.run();
