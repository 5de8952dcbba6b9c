import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advert, keyWith, minutesAgo, scratch, seedDb, startServer } from './helpers.js';

const A = keyWith('a1b2');
const B = keyWith('b2c3');
const C = keyWith('c3d4');
const D = keyWith('d4e5');

async function withServer(fn: (get: (path: string) => Promise<{ status: number; type: string; body: any; text: string }>, log: () => string) => Promise<void>) {
  const s = scratch();
  seedDb(s.db, {
    nodes: [
      { key: A, sup: 2, evidence: 'advert' },
      { key: B, sup: 1, evidence: 'path' },
      { key: C },
      { key: D, inactive: true, sup: 2, evidence: 'advert', role: 'room' },
    ],
    packets: [{ raw_hex: advert(A, 2), first_seen: minutesAgo(5) }],
  });
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1h');
  try {
    const port = await run.port();
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      return { status: res.status, type, text, body: type.startsWith('application/json') ? JSON.parse(text) : null };
    };
    // The first publish runs at start
    for (let i = 0; i < 200 && (await get('/healthz')).body.status === 'starting'; i++) await new Promise((r) => setTimeout(r, 20));
    await fn(get, run.log);
    run.child.kill('SIGTERM');
    assert.is(await run.exited, 0, run.log());
    assert.match(run.log(), /SIGTERM: stopping after the publish in flight[\s\S]*stopped/);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
}

test('GET /healthz: read-only confirmed, schema ok, the last publish', () =>
  withServer(async (get) => {
    const r = await get('/healthz');
    assert.is(r.status, 200);
    assert.is(r.body.status, 'ok');
    assert.is(r.body.readOnly, true);
    assert.equal(r.body.schema, { ok: true, missing: [] });
    assert.is(r.body.lastPublish.seq, 1);
    assert.equal(r.body.lastPublish.counts, { confirmed: 1, suspected: 0, unknown: 3 });
    assert.is(r.body.lastPublish.error, null);
    assert.type(r.body.lastPublish.durationMs, 'number');
  }));

test('GET /api/nodes: both tables, the persisted capability, filters and pages', () =>
  withServer(async (get) => {
    const all = await get('/api/nodes');
    assert.is(all.status, 200);
    assert.is(all.body.total, 4);
    const d = all.body.nodes.find((n: { public_key: string }) => n.public_key === D);
    assert.equal([d.multi_byte_status, d.multi_byte_evidence, d.inactive, d.role], ['confirmed', 'advert', true, 'room']);
    const confirmed = await get('/api/nodes?status=confirmed');
    assert.equal(confirmed.body.nodes.map((n: { public_key: string }) => n.public_key).sort(), [A, D].sort());
    assert.equal(
      (await get('/api/nodes?status=suspected')).body.nodes.map((n: { public_key: string }) => n.public_key),
      [B],
    );
    assert.equal(
      (await get('/api/nodes?status=unknown')).body.nodes.map((n: { public_key: string }) => n.public_key),
      [C],
    );
    const page = await get('/api/nodes?limit=2&offset=1');
    assert.is(page.body.total, 4);
    assert.is(page.body.nodes.length, 2);
    assert.equal(page.body.nodes[0].public_key, all.body.nodes[1].public_key);
    // A page across the two tables: the last active nodes, then the inactive one
    const across = await get('/api/nodes?limit=5&offset=2');
    assert.equal(
      across.body.nodes.map((n: { public_key: string; inactive: boolean }) => [n.public_key, n.inactive]),
      [
        [all.body.nodes[2].public_key, false],
        [D, true],
      ],
    );
    assert.equal((await get('/api/nodes?offset=4')).body.nodes, []);
  }));

test('bad query values are 400 with a message; unknown paths 404; writes 405', () =>
  withServer(async (get) => {
    for (const [path, message] of [
      ['/api/nodes?status=maybe', /status must be one of unknown, suspected, confirmed/],
      ['/api/nodes?limit=0', /limit must be a whole number from 1 to 1000/],
      ['/api/nodes?limit=abc', /limit must be/],
      ['/api/nodes?offset=-1', /offset must be/],
    ] as const) {
      const r = await get(path);
      assert.is(r.status, 400, path);
      assert.match(r.body.error, message);
    }
    const missing = await get('/api/nope');
    assert.is(missing.status, 404);
    assert.match(missing.body.error, /not found: GET \/api\/nope/);
    assert.ok(missing.body.paths.includes('/api/nodes'));
  }));

test('GET /api/multibyte-capability: the latest computed entries, confirmed first', () =>
  withServer(async (get) => {
    const r = await get('/api/multibyte-capability');
    assert.is(r.status, 200);
    assert.is(r.body.seq, 1);
    assert.is(r.body.entries.length, 4);
    assert.equal(r.body.entries[0], {
      public_key: A,
      status: 'confirmed',
      evidence: 'advert',
      maxHashSize: 2,
      max_hash_size: 2,
      name: `node ${A.slice(0, 4)}`,
      role: 'repeater',
      lastSeen: r.body.entries[0].lastSeen,
      last_seen: r.body.entries[0].lastSeen,
      table: 'nodes',
    });
    assert.ok(r.body.entries.slice(1).every((e: { status: string }) => e.status === 'unknown'));
  }));

test('GET /metrics: Prometheus text with publish counts and entries by status', () =>
  withServer(async (get) => {
    await get('/healthz');
    const r = await get('/metrics');
    assert.is(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.match(r.text, /^# TYPE mbcap_publish_total counter\nmbcap_publish_total 1$/m);
    assert.match(r.text, /^mbcap_publish_failures_total 0$/m);
    assert.match(r.text, /^mbcap_entries\{status="confirmed"\} 1$/m);
    assert.match(r.text, /^mbcap_entries\{status="unknown"\} 3$/m);
    assert.match(r.text, /^mbcap_http_requests_total\{route="\/healthz",code="200"\} \d+$/m);
  }));

test.run();
