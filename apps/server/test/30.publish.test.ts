import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSnapshot } from '@mbcap/snapshot';
import { PAYLOAD_TYPE } from '@mbcap/meshcore';
import { advert, keyWith, message, minutesAgo, scratch, seedDb, server } from './helpers.js';

const A = keyWith('a1b2c3'); // confirmed by a 2-byte advert
const B = keyWith('b2c3d4'); // confirmed by a 3-byte advert, in inactive_nodes
const C = keyWith('c3d4e5'); // suspected: a 2-byte hop of a message
const D = keyWith('d4e5f6'); // unknown: only 1-byte traffic
const E = keyWith('e5f6a7'); // unknown: its 2-byte hop is in a TRACE only
const F = keyWith('f6a7b8'); // unknown: its 2-byte advert is older than the window

function seed(db: string) {
  seedDb(db, {
    nodes: [{ key: A }, { key: B, inactive: true, role: 'room' }, { key: C, role: 'companion' }, { key: D }, { key: E, role: 'sensor' }, { key: F }],
    packets: [
      { raw_hex: advert(A, 2, ['c3d4']), first_seen: minutesAgo(10) },
      { raw_hex: advert(B, 3), first_seen: minutesAgo(20).replace('T', ' ').replace('Z', '') },
      { raw_hex: advert(D, 1, ['d4', 'a1']), first_seen: minutesAgo(30) },
      { raw_hex: message(2, ['e5f6'], PAYLOAD_TYPE.TRACE), first_seen: minutesAgo(40) },
      { raw_hex: advert(F, 2), first_seen: minutesAgo(60 * 24 * 8) },
    ],
  });
}

test('publish computes every node and writes the snapshot; --json reports the counts', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const r = server('publish', '--db', s.db, '--json');
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(
      { seq: out.seq, entries: out.entries, confirmed: out.confirmed, suspected: out.suspected, unknown: out.unknown, packets: out.packets, path: out.path },
      { seq: 1, entries: 6, confirmed: 2, suspected: 1, unknown: 3, packets: 4, path: s.file },
    );
    assert.type(out.durationMs, 'number');
    assert.match(r.stderr, /published snapshot seq 1: 6 nodes \(2 confirmed, 1 suspected, 3 unknown\)/);

    const { snapshot } = await readSnapshot(s.db);
    const byKey = Object.fromEntries(snapshot.entries.map((e) => [e.public_key, [e.status, e.evidence]]));
    assert.equal(byKey, {
      [A]: ['confirmed', 'advert'],
      [B]: ['confirmed', 'advert'],
      [C]: ['suspected', 'path'],
      [D]: ['unknown', undefined],
      [E]: ['unknown', undefined],
      [F]: ['unknown', undefined],
    });
    assert.equal(
      snapshot.entries.map((e) => e.status),
      ['confirmed', 'confirmed', 'suspected', 'unknown', 'unknown', 'unknown'],
      'confirmed first',
    );
  } finally {
    s.cleanup();
  }
});

test('--window all counts every packet; a shorter window counts fewer', async () => {
  const s = scratch();
  try {
    seed(s.db);
    assert.is(JSON.parse(server('publish', '--db', s.db, '--json', '--window', 'all').stdout).confirmed, 3);
    assert.is(JSON.parse(server('publish', '--db', s.db, '--json', '--window', '15m').stdout).confirmed, 1);
    const bad = server('publish', '--db', s.db, '--window', 'a week');
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /--window/);
  } finally {
    s.cleanup();
  }
});

test('with --hmac-key-file the snapshot is signed with that key', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const key = join(s.dir, 'key');
    writeFileSync(key, 'a shared secret of some length\n', { mode: 0o600 });
    assert.is(server('publish', '--db', s.db, '--hmac-key-file', key).code, 0);
    assert.is((await readSnapshot(s.db, { hmacKey: 'a shared secret of some length' })).signature, 'verified');
    assert.match(readFileSync(s.file, 'utf8'), /"signature":"hmac-sha256:[0-9a-f]{64}"/);
  } finally {
    s.cleanup();
  }
});

test('the real packets of a live mesh publish without error', async () => {
  const s = scratch();
  try {
    const lines = readFileSync(new URL('../../demo/data/real-packets.jsonl', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    seedDb(s.db, {
      nodes: [{ key: '293fe903e6554e6194759505aabed55a15cf57a3c1cddd4034b59a0127d0faf5' }],
      packets: lines.map((p) => ({ raw_hex: p.raw_hex, first_seen: p.first_seen })),
    });
    const r = server('publish', '--db', s.db, '--json', '--window', 'all');
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    // Only adverts and multi-byte packets are read: here the 26 adverts, of 54 packets.
    assert.is(out.packets, 26);
    // Every real packet carries 1-byte hashes: evidence of nothing.
    assert.equal([out.confirmed, out.suspected, out.unknown], [0, 0, 1]);
  } finally {
    s.cleanup();
  }
});

test('a missing database is an error with how to create it', () => {
  const s = scratch();
  try {
    const r = server('publish', '--db', s.db);
    assert.is(r.code, 1);
    assert.match(r.stderr, /database not found: .*mesh\.db \(create it with: mbcap-ingestor migrate/);
  } finally {
    s.cleanup();
  }
});

test.run();
