// `run` answers GET /api/nodes/:key/capability from what its last cycle kept, reading a few
// rows by rowid; `mbcap-server explain` scans the window. The two must say the same thing of
// every node: checked here on random databases full of edges, on the demo's mesh and on the
// real packets, each a real SQLite file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { createRng, generateMesh, toJsonLines } from '@mbcap/meshgen';
import { computeCapabilities } from '../apps/server/src/compute.js';
import { openServerDatabase } from '../apps/server/src/database.js';
import { explainKept } from '../apps/server/src/explain-kept.js';
import { explainNode } from '../apps/server/src/explain-node.js';
import { repoRoot, run, scratch } from './helpers.js';
import { DAY, randomDb } from './random-db.js';

const INGESTOR = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;

/** Every node of the database, and a few keys of none, explained both ways at the same time. */
function assertSame(dbPath: string, windowMs: number | null, now: number, label: string): { nodes: number; statuses: Set<string> } {
  const source = openServerDatabase(dbPath);
  try {
    const { kept, entries } = computeCapabilities(source, { windowMs, now, keep: true });
    assert.ok(kept, 'kept');
    const statuses = new Set<string>();
    const keys = entries.map((e) => e.public_key);
    for (const key of [...keys, ...keys.slice(0, 5).map((k) => k.toUpperCase()), 'abcdef0123', '00']) {
      const scanned = explainNode(source, key, { windowMs, now });
      const fast = explainKept(source, kept!, key);
      assert.equal(fast, scanned, `${label}: ${key}`);
      if (scanned !== null) statuses.add(scanned.status);
    }
    return { nodes: keys.length, statuses };
  } finally {
    source.db.close();
  }
}

test('random databases: the kept explanation equals the scan for every node, in and out of the window', () => {
  const now = Date.now();
  const seen = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) {
    const s = scratch();
    try {
      randomDb(s.db, createRng(seed), now);
      for (const windowMs of [7 * DAY, null]) for (const status of assertSame(s.db, windowMs, now, `seed ${seed}`).statuses) seen.add(status);
    } finally {
      s.cleanup();
    }
  }
  assert.equal([...seen].sort(), ['confirmed', 'suspected', 'unknown'], 'every status was compared');
});

test('the demo mesh and the real packets: the same both ways, for every node', async () => {
  const s = scratch();
  try {
    assert.is((await run(INGESTOR, ['migrate', '--db', s.db])).code, 0);
    const now = Date.now();
    const mesh = generateMesh({ seed: 7, nodes: 80, packets: 2000, now });
    const { writeFileSync } = await import('node:fs');
    const lines = `${s.dir}/mesh.jsonl`;
    writeFileSync(lines, toJsonLines(mesh.packets));
    for (const file of [lines, `${repoRoot}/apps/demo/data/real-packets.jsonl`]) {
      const r = await run(INGESTOR, ['import', '--db', s.db, file]);
      assert.is(r.code, 0, r.stderr);
    }
    const week = assertSame(s.db, 7 * DAY, now, 'demo, 7d');
    // And what they say is what the generator planted, node by node
    const source = openServerDatabase(s.db);
    try {
      for (const node of mesh.nodes) assert.is(explainNode(source, node.publicKey, { windowMs: 7 * DAY, now })?.status, node.planned, node.name);
    } finally {
      source.db.close();
    }
    assert.equal([...week.statuses].sort(), ['confirmed', 'suspected', 'unknown']);
    assert.ok(week.nodes >= 80, `${week.nodes} nodes compared`);
    assertSame(s.db, null, now, 'demo, all');
  } finally {
    s.cleanup();
  }
});

test('a row deleted after the cycle is left out of the kept lists, and a node gone is not found', () => {
  const s = scratch();
  try {
    randomDb(s.db, createRng(99), Date.now());
    const source = openServerDatabase(s.db);
    const { kept, entries } = computeCapabilities(source, { windowMs: null, keep: true });
    const confirmed = entries.find((e) => e.status === 'confirmed')!;
    const before = explainKept(source, kept!, confirmed.public_key)!;
    const why = before.why as { adverts: number; newest: { hash: string }[] };
    source.db.close();

    const db = new Database(s.db);
    db.prepare('DELETE FROM transmissions WHERE hash = ?').run(why.newest[0]!.hash);
    db.prepare('DELETE FROM nodes WHERE public_key = ?').run(entries.at(-1)!.public_key);
    db.prepare('DELETE FROM inactive_nodes WHERE public_key = ?').run(entries.at(-1)!.public_key);
    db.close();

    const after = openServerDatabase(s.db);
    try {
      const again = explainKept(after, kept!, confirmed.public_key)!;
      assert.equal(
        (again.why as typeof why).newest.map((a) => a.hash),
        why.newest.slice(1).map((a) => a.hash),
      );
      assert.is(explainKept(after, kept!, entries.at(-1)!.public_key), null);
    } finally {
      after.db.close();
    }
  } finally {
    s.cleanup();
  }
});

test.run();
