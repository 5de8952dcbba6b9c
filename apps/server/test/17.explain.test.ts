// Why a node has its status, on real SQLite files: `mbcap-server explain` and, under `run`,
// GET /api/nodes/:key/capability.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PAYLOAD_TYPE } from '@mbcap/meshcore';
import { advert, ingestor, keyWith, message, minutesAgo, scratch, seedDb, server, startServer, type Seed } from './helpers.js';

const REAL = fileURLToPath(new URL('../../demo/data/real-packets.jsonl', import.meta.url));

const K = {
  confirmed: keyWith('a1b2c3'), // three multi-byte adverts and one 1-byte one
  relay: keyWith('b1b2c3'), // suspected: a 2-byte hop b1b2 in two messages
  twin: keyWith('b1b2ff'), // suspected too: shares the prefix b1b2
  quiet: keyWith('c1c2c3'), // unknown: 1-byte adverts only
  demoted: keyWith('d1d2d3'), // stored confirmed, computed unknown
  many: keyWith('e1e2e3'), // 25 multi-byte adverts: only the newest 20 are listed
};

const seed: Seed = {
  nodes: [
    { key: K.confirmed },
    { key: K.relay },
    { key: K.twin, inactive: true },
    { key: K.quiet },
    { key: K.demoted, sup: 2, evidence: 'advert' },
    { key: K.many },
  ],
  packets: [
    { raw_hex: advert(K.confirmed, 2), first_seen: minutesAgo(30) },
    { raw_hex: advert(K.confirmed, 3, ['0a0b0c']), first_seen: minutesAgo(10) },
    { raw_hex: advert(K.confirmed, 2, ['0a0b']), first_seen: minutesAgo(20) },
    { raw_hex: advert(K.confirmed, 1, ['0a']), first_seen: minutesAgo(5) },
    { raw_hex: message(2, ['0a0b', 'B1B2']), first_seen: minutesAgo(15) },
    { raw_hex: message(2, ['b1b2']), first_seen: minutesAgo(8) },
    { raw_hex: message(2, ['b1b2'], PAYLOAD_TYPE.TRACE), first_seen: minutesAgo(7) },
    { raw_hex: advert(K.quiet, 1), first_seen: minutesAgo(12) },
    { raw_hex: advert(K.quiet, 1, ['0a']), first_seen: minutesAgo(11) },
    { raw_hex: advert(K.demoted, 2), first_seen: new Date(Date.now() - 30 * 86_400_000).toISOString() },
    ...Array.from({ length: 25 }, (_, i) => ({ raw_hex: advert(K.many, 2, [`00${String(i).padStart(2, '0')}`]), first_seen: minutesAgo(100 - i) })),
  ],
};

function explain(db: string, key: string, ...more: string[]) {
  const r = server('explain', '--db', db, key, '--json', ...more);
  return { ...r, body: r.code === 0 ? JSON.parse(r.stdout) : null };
}

function withDb(fn: (db: string) => void | Promise<void>) {
  return async () => {
    const s = scratch();
    try {
      seedDb(s.db, seed);
      await fn(s.db);
    } finally {
      s.cleanup();
    }
  };
}

test(
  'confirmed: its multi-byte adverts, newest first, with hash, time, route type and hash size',
  withDb((db) => {
    const r = explain(db, K.confirmed.toUpperCase());
    assert.is(r.code, 0, r.stderr);
    assert.is(r.body.public_key, K.confirmed);
    assert.is(r.body.status, 'confirmed');
    assert.is(r.body.evidence, 'advert');
    assert.is(r.body.maxHashSize, 3);
    assert.is(r.body.why.adverts, 3);
    assert.equal(
      r.body.why.newest.map((a: { hashSize: number }) => a.hashSize),
      [3, 2, 2],
    );
    assert.equal(
      r.body.why.newest.map((a: { hash: string }) => a.hash),
      ['h1', 'h2', 'h0'],
    );
    assert.equal(Object.keys(r.body.why.newest[0]).sort(), ['first_seen', 'hash', 'hashSize', 'routeType']);
    assert.is(r.body.why.newest[0].routeType, 1);
    assert.equal(r.body.stored, { table: 'nodes', multibyte_sup: 0, multibyte_evidence: null });
    assert.is(r.body.storedHigher, false);
  }),
);

test(
  'suspected: the packets and the matching hop, and every node sharing the prefix; TRACE never counts',
  withDb((db) => {
    const r = explain(db, K.relay);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.body.status, 'suspected');
    assert.is(r.body.evidence, 'path');
    assert.is(r.body.maxHashSize, 2);
    assert.is(r.body.why.packets, 2);
    assert.equal(r.body.why.newest, [
      { hash: 'h5', first_seen: seed.packets[5]!.first_seen, payloadType: PAYLOAD_TYPE.TXT_MSG, hashSize: 2, hop: 'b1b2' },
      { hash: 'h4', first_seen: seed.packets[4]!.first_seen, payloadType: PAYLOAD_TYPE.TXT_MSG, hashSize: 2, hop: 'b1b2' },
    ]);
    assert.equal(r.body.why.sharing, [{ hop: 'b1b2', nodes: [K.twin] }]);
    // The colliding node, from inactive_nodes, names the first in turn
    const twin = explain(db, K.twin);
    assert.is(twin.body.status, 'suspected');
    assert.equal(twin.body.why.sharing, [{ hop: 'b1b2', nodes: [K.relay] }]);
    assert.is(twin.body.stored.table, 'inactive_nodes');
  }),
);

test(
  'unknown: its adverts counted by hash size',
  withDb((db) => {
    const r = explain(db, K.quiet);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.body.status, 'unknown');
    assert.is(r.body.evidence, undefined);
    assert.equal(r.body.why, { adverts: 2, bySize: { 1: 2, 2: 0, 3: 0 }, zeroHopDirect: 0 });
  }),
);

test(
  'a stored value above the computed one is reported as kept; the window decides',
  withDb((db) => {
    const r = explain(db, K.demoted);
    assert.is(r.body.status, 'unknown');
    assert.equal(r.body.stored, { table: 'nodes', multibyte_sup: 2, multibyte_evidence: 'advert' });
    assert.is(r.body.storedHigher, true);
    const all = explain(db, K.demoted, '--window', 'all');
    assert.is(all.body.status, 'confirmed');
    assert.is(all.body.storedHigher, false);
    const text = server('explain', '--db', db, K.demoted);
    assert.is(text.code, 0);
    assert.match(text.stdout, /unknown[\s\S]*multibyte_sup 2, multibyte_evidence advert \(higher than computed: kept/);
  }),
);

test(
  'bounded: the newest 20 pieces of evidence',
  withDb((db) => {
    const r = explain(db, K.many);
    assert.is(r.body.why.adverts, 25);
    assert.is(r.body.why.newest.length, 20);
    assert.equal(
      r.body.why.newest.map((a: { hash: string }) => a.hash),
      Array.from({ length: 20 }, (_, i) => `h${10 + 24 - i}`),
    );
  }),
);

test(
  'a key of no node exits 1; a malformed key exits 2',
  withDb((db) => {
    const none = server('explain', '--db', db, 'abcdef');
    assert.is(none.code, 1);
    assert.match(none.stderr, /no node has the key abcdef/);
    for (const bad of ['xyz1', 'a', 'ab'.repeat(33)]) {
      const r = server('explain', '--db', db, bad);
      assert.is(r.code, 2, bad);
      assert.match(r.stderr, /2 to 64 hex digits/);
    }
  }),
);

/** Waits until the server's first publish has succeeded. */
async function published(port: number): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { lastSuccess: unknown };
    if (health.lastSuccess !== null) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no publish succeeded');
}

test(
  'GET /api/nodes/:key/capability under run: 200, 404, 400',
  withDb(async (db) => {
    const run = startServer('--db', db, '--port', '0', '--interval', '1h');
    try {
      const port = await run.port();
      await published(port);
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: res.status, body: (await res.json()) as any };
      };
      const ok = await get(`/api/nodes/${K.confirmed.toUpperCase()}/capability`);
      assert.is(ok.status, 200);
      const { window: served, ...rest } = ok.body;
      const { window: _, ...expected } = explain(db, K.confirmed).body;
      assert.equal(rest, expected, 'the same as the command, but for the times');
      assert.type(served.start, 'string');
      const relay = await get(`/api/nodes/${K.relay}/capability`);
      assert.equal(relay.body.why.sharing, [{ hop: 'b1b2', nodes: [K.twin] }]);
      for (const key of [K.quiet, K.demoted, K.many]) {
        const { window: _w, ...cli } = explain(db, key).body;
        const { window: _s, ...api } = (await get(`/api/nodes/${key}/capability`)).body;
        assert.equal(api, cli, key);
      }
      const none = await get('/api/nodes/abcdef/capability');
      assert.is(none.status, 404);
      assert.match(none.body.error, /no node has the key abcdef/);
      const bad = await get('/api/nodes/xyz/capability');
      assert.is(bad.status, 400);
      assert.match(bad.body.error, /2 to 64 hex digits/);
      run.child.kill('SIGTERM');
      assert.is(await run.exited, 0, run.log());
    } finally {
      run.child.kill('SIGKILL');
    }
  }),
);

test(
  'a burst of requests is answered from what the cycle kept, every one of them',
  withDb(async (db) => {
    const run = startServer('--db', db, '--port', '0', '--interval', '1h');
    try {
      const port = await run.port();
      await published(port);
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(`http://127.0.0.1:${port}/api/nodes/${K.confirmed}/capability`).then(async (res) => ({ status: res.status, body: (await res.json()) as any })),
        ),
      );
      assert.ok(answers.every((a) => a.status === 200 && a.body.status === 'confirmed' && a.body.why.adverts === 3));
      run.child.kill('SIGTERM');
      assert.is(await run.exited, 0, run.log());
    } finally {
      run.child.kill('SIGKILL');
    }
  }),
);

test(
  'before any cycle has succeeded: 503 with Retry-After, and the reason',
  withDb(async (db) => {
    // The handoff directory is a file: every publish fails
    writeFileSync(join(dirname(db), 'mbcap-snapshot'), 'not a directory');
    const run = startServer('--db', db, '--port', '0', '--interval', '1h');
    try {
      const port = await run.port();
      const res = await fetch(`http://127.0.0.1:${port}/api/nodes/${K.confirmed}/capability`);
      assert.is(res.status, 503);
      assert.is(res.headers.get('retry-after'), '2');
      assert.match(((await res.json()) as { error: string }).error, /no analytics cycle has finished yet/);
      run.child.kill('SIGTERM');
      await run.exited;
    } finally {
      run.child.kill('SIGKILL');
    }
  }),
);

test('real packets: a repeater with 22 one-byte adverts is unknown, and says so', async () => {
  const s = scratch();
  try {
    assert.is(ingestor('migrate', '--db', s.db).code, 0);
    const imported = ingestor('import', '--db', s.db, REAL);
    assert.is(imported.code, 0, imported.stderr);
    const key = '293fe903e6554e6194759505aabed55a15cf57a3c1cddd4034b59a0127d0faf5';
    const r = explain(s.db, key, '--window', 'all');
    assert.is(r.code, 0, r.stderr);
    assert.is(r.body.name, 'Charles Evans Hughes');
    assert.is(r.body.status, 'unknown');
    assert.equal(r.body.why, { adverts: 22, bySize: { 1: 22, 2: 0, 3: 0 }, zeroHopDirect: 0 });
  } finally {
    s.cleanup();
  }
});

test.run();
