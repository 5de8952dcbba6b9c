// `run` answers GET /api/nodes/:key/capability from what its last cycle kept, reading a few
// rows by rowid; `mbcap-server explain` scans the window. The two must say the same thing of
// every node: checked here on random databases full of edges, on the demo's mesh and on the
// real packets, each a real SQLite file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { migrate } from '@mbcap/dbschema';
import { encodeAdvert, encodePacket, PAYLOAD_TYPE, toHex } from '@mbcap/meshcore';
import { createRng, generateMesh, toJsonLines, type Rng } from '@mbcap/meshgen';
import { computeCapabilities } from '../apps/server/src/compute.js';
import { openServerDatabase } from '../apps/server/src/database.js';
import { explainKept } from '../apps/server/src/explain-kept.js';
import { explainNode } from '../apps/server/src/explain-node.js';
import { repoRoot, run, scratch } from './helpers.js';

const INGESTOR = `${repoRoot}/apps/ingestor/bin/mbcap-ingestor.js`;
const DAY = 86_400_000;

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

/** A random database: keys sharing prefixes and differing in case, every route, size and type. */
function randomDb(path: string, rng: Rng, now: number): void {
  const hex = (n: number) => toHex(rng.bytes(n));
  const stems = Array.from({ length: 6 }, () => hex(2));
  const keys: string[] = [];
  for (let i = 0; i < 40; i++) {
    // Most keys share a 2-byte stem with others; some are short, as in older rows
    let key = rng.pick(stems) + hex(30);
    if (rng.chance(0.1)) key = key.slice(0, 2 * rng.between(1, 8));
    if (rng.chance(0.2)) key = key.toUpperCase();
    keys.push(key);
  }
  // A case variant of a stored key, in the other table
  keys.push(keys[0]!.toUpperCase() === keys[0] ? keys[0]!.toLowerCase() : keys[0]!.toUpperCase());

  const db = new Database(path);
  try {
    migrate(db);
    const hasPathJson = () => db.prepare("SELECT 1 FROM pragma_table_info('transmissions') WHERE name = 'path_json'").get() !== undefined;
    // path_json is optional in the field: half the databases go without
    if (rng.chance(0.5)) db.exec(hasPathJson() ? 'ALTER TABLE transmissions DROP COLUMN path_json' : 'ALTER TABLE transmissions ADD COLUMN path_json TEXT');
    const withPathJson = hasPathJson();
    db.transaction(() => {
      keys.forEach((key, i) => {
        const table = i === keys.length - 1 || rng.chance(0.3) ? 'inactive_nodes' : 'nodes';
        const sup = rng.pick([0, 0, 1, 2, null]);
        db.prepare(`INSERT OR IGNORE INTO ${table} (public_key, name, role, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?, ?)`).run(
          key,
          `n${i}`,
          'repeater',
          sup,
          sup === 2 ? 'advert' : sup === 1 ? 'path' : null,
        );
      });
      const insert = db.prepare(
        `INSERT INTO transmissions (raw_hex, hash, first_seen, route_type, payload_type, decoded_json${withPathJson ? ', path_json' : ''}) VALUES (?, ?, ?, ?, ?, ?${withPathJson ? ', ?' : ''})`,
      );
      // Few distinct times, so ties are common; some outside the window, some unreadable
      const times = Array.from({ length: 12 }, () => now - rng.int(10 * DAY));
      for (let p = 0; p < 400; p++) {
        const hashSize = rng.pick([1, 2, 2, 3]);
        const routeType = rng.int(4);
        const type = rng.pick([PAYLOAD_TYPE.ADVERT, PAYLOAD_TYPE.ADVERT, PAYLOAD_TYPE.TXT_MSG, PAYLOAD_TYPE.PATH, PAYLOAD_TYPE.TRACE, PAYLOAD_TYPE.ACK]);
        const hops = Array.from({ length: rng.pick([0, 0, 1, 2, 4]) }, () => {
          const key = rng.pick(keys).padEnd(hashSize * 2, '0');
          return rng.chance(0.8) ? key.slice(0, hashSize * 2) : hex(hashSize);
        });
        const sender = rng.pick(keys);
        const fullKey = sender.padEnd(64, '7').slice(0, 64);
        const payload = type === PAYLOAD_TYPE.ADVERT ? encodeAdvert({ publicKey: fullKey, timestamp: 1_790_000_000, type: 2, name: 'x' }) : rng.bytes(8);
        let raw = toHex(
          encodePacket({
            routeType,
            payloadType: type,
            transportCodes: routeType === 0 || routeType === 3 ? [rng.int(65536), rng.int(65536)] : null,
            hashSize,
            hops,
            payload,
          }),
        );
        if (rng.chance(0.03)) raw = raw.slice(0, 3);
        const decoded =
          type === PAYLOAD_TYPE.ADVERT && rng.chance(0.6)
            ? JSON.stringify({ type: 'ADVERT', pubKey: rng.chance(0.3) ? sender.toUpperCase() : sender })
            : rng.chance(0.1)
              ? '{not json'
              : null;
        const firstSeen = rng.chance(0.02) ? 'not a time' : new Date(rng.pick(times)).toISOString().replace(rng.chance(0.3) ? 'T' : '#', ' ');
        const columnType = rng.chance(0.1) ? null : type;
        const pathJson = rng.chance(0.3) ? JSON.stringify(rng.chance(0.8) ? hops.map((h) => h.slice(0, rng.pick([2, 4, 6]))) : 'junk') : null;
        insert.run(raw, `h${p}`, firstSeen, routeType, columnType, decoded, ...(withPathJson ? [pathJson] : []));
      }
      // One node with more evidence than is listed
      const many = keys[1]!.padEnd(64, '7').slice(0, 64);
      for (let p = 0; p < 30; p++) {
        const raw = toHex(
          encodePacket({
            routeType: 1,
            payloadType: PAYLOAD_TYPE.ADVERT,
            hashSize: 2,
            hops: [hex(2)],
            payload: encodeAdvert({ publicKey: many, timestamp: 1, type: 2, name: 'm' }),
          }),
        );
        insert.run(raw, `m${p}`, new Date(rng.pick(times)).toISOString(), 1, PAYLOAD_TYPE.ADVERT, null, ...(withPathJson ? [null] : []));
      }
    })();
  } finally {
    db.close();
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
