// The in-memory node listing (node-listing.ts) against its plain twin, SQL per request
// (nodes.ts): the same nodes, totals and single-node answers for random databases and
// random queries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { migrate } from '@mbcap/dbschema';
import { MULTIBYTE_STATUSES } from '@mbcap/snapshot';
import { openServerDatabase } from '../src/database.js';
import type { KeptEvidence } from '../src/kept.js';
import { createNodeListing, hashSizesOf } from '../src/node-listing.js';
import { findNode, listNodes, type NodeQuery } from '../src/nodes.js';
import { emptyPublishState, type PublishState } from '../src/publisher.js';
import { scratch } from './helpers.js';

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Wen HT', 'Alum "Rock" Room', 'Zürich ☃', null, 'a\\b', ''];

function randomDb(path: string, random: () => number): string[] {
  const db = new Database(path);
  migrate(db);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const keys: string[] = [];
  db.transaction(() => {
    const n = 1 + Math.floor(random() * 300);
    for (let i = 0; i < n; i++) {
      const length = pick([2, 8, 64]);
      let key = Array.from({ length }, () => pick([...'0123456789abcdef'])).join('');
      if (random() < 0.2) key = key.toUpperCase();
      if (keys.includes(key)) continue;
      keys.push(key);
      const table = random() < 0.3 ? 'inactive_nodes' : 'nodes';
      const sup = pick([0, 1, 2, null, 7]);
      const evidence = sup === 2 ? 'advert' : sup === 1 ? 'path' : pick([null, null, 'advert']);
      db.prepare(
        `INSERT INTO ${table} (public_key, name, role, lat, lon, last_seen, advert_count, multibyte_sup, multibyte_evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        key,
        pick(NAMES),
        pick(['repeater', 'room', null]),
        random() < 0.5 ? null : random() * 90,
        random() < 0.5 ? null : random() * 180,
        random() < 0.5 ? null : new Date(1_700_000_000_000 + Math.floor(random() * 1e9)).toISOString(),
        Math.floor(random() * 10),
        sup,
        evidence,
      );
    }
  })();
  db.close();
  return keys;
}

/** A cycle's kept hash sizes for some of the keys (others came after it). */
function stateWith(keys: string[], random: () => number): PublishState {
  const known = keys.filter(() => random() < 0.8);
  const kept = {
    keys: known,
    advertMax: Uint8Array.from(known, () => (random() < 0.3 ? 2 + Math.floor(random() * 2) : 0)),
    pathMax: Uint8Array.from(known, () => (random() < 0.3 ? 2 : 0)),
  } as unknown as KeptEvidence;
  return { ...emptyPublishState(), kept };
}

test('the listing answers as the plain twin does, for random databases and queries', async () => {
  for (let seed = 1; seed <= 25; seed++) {
    const random = prng(seed);
    const s = scratch();
    try {
      const keys = randomDb(s.db, random);
      const source = openServerDatabase(s.db);
      const state = stateWith(keys, random);
      const listing = createNodeListing(source, state);
      const hashSizeOf = hashSizesOf(state);
      for (let q = 0; q < 40; q++) {
        // The first query comes before the listing is made, and waits for it
        const query: NodeQuery = {
          status: random() < 0.4 ? null : MULTIBYTE_STATUSES[Math.floor(random() * 3)]!,
          limit: 1 + Math.floor(random() * (random() < 0.5 ? 10 : 400)),
          offset: Math.floor(random() * (keys.length + 20)),
        };
        const fast = JSON.parse(Buffer.concat((await listing.list(query)).parts).toString());
        const plain = listNodes(source, query, hashSizeOf);
        assert.is(fast.total, plain.total, `seed ${seed} ${JSON.stringify(query)}`);
        assert.is(JSON.stringify(fast.nodes), JSON.stringify(plain.nodes), `seed ${seed} ${JSON.stringify(query)}`);
      }
      for (const key of [...keys.slice(0, 30), ...keys.slice(0, 10).map((k) => k.toUpperCase()), 'ffff', 'abc123']) {
        const found = await listing.find(key);
        const plain = findNode(source, key, hashSizeOf);
        assert.is(found === null ? null : Buffer.from(found.json).toString(), plain === null ? null : JSON.stringify(plain), `seed ${seed} key ${key}`);
      }
      source.db.close();
    } finally {
      s.cleanup();
    }
  }
});

test('the listing is read again after another connection commits (in chunks, once ten times its build time has passed)', async () => {
  const s = scratch();
  try {
    const keys = randomDb(s.db, prng(99));
    const source = openServerDatabase(s.db);
    const state = stateWith(keys, prng(7));
    const listing = createNodeListing(source, state);
    const query: NodeQuery = { status: null, limit: 1000, offset: 0 };
    await listing.settled();
    const first = await listing.list(query);
    assert.ok(first.etag);
    const writer = new Database(s.db);
    writer.prepare("INSERT INTO nodes (public_key, name) VALUES ('00aa', 'new')").run();
    writer.close();
    await new Promise((r) => setTimeout(r, 200));
    await listing.settled();
    const second = await listing.list(query);
    assert.is.not(second.etag, first.etag);
    assert.is(JSON.parse(Buffer.concat(second.parts).toString()).total, keys.length + 1);
    assert.is(JSON.stringify(JSON.parse(Buffer.concat(second.parts).toString()).nodes), JSON.stringify(listNodes(source, query, hashSizesOf(state)).nodes));
    source.db.close();
  } finally {
    s.cleanup();
  }
});

test.run();
