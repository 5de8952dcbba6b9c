import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { readSnapshot } from '@mbcap/snapshot';
import { advert, keyWith, message, minutesAgo, scratch, seedDb, server, startServer } from './helpers.js';

// A node row whose key no snapshot entry can carry (the snapshot's entry schema refuses
// it) is left out and reported; every other node is still published.

const A = keyWith('a1b2'); // confirmed
const B = keyWith('b2c3'); // suspected
const C = keyWith('c3d4');
const D = keyWith('d4e5'); // inactive

// What a user may find in a real table: the key as stored, the table it is in
const BAD: [table: 'nodes' | 'inactive_nodes', key: string | null][] = [
  ['nodes', 'AB12 '],
  ['nodes', ''],
  ['nodes', 'not hex at all'],
  ['nodes', null],
  ['nodes', 'ab12\ncd\u0000'],
  ['inactive_nodes', 'zz'],
];

function seed(db: string) {
  seedDb(db, {
    nodes: [{ key: A }, { key: B }, { key: C }, { key: D, inactive: true }],
    packets: [
      { raw_hex: advert(A, 2), first_seen: minutesAgo(5) },
      { raw_hex: message(2, ['b2c3']), first_seen: minutesAgo(6) },
    ],
  });
  // Rows only a direct write can make (the ingestor never would)
  const raw = new Database(db);
  for (const [table, key] of BAD) raw.prepare(`INSERT INTO ${table} (public_key, name, role) VALUES (?, 'bad', 'repeater')`).run(key);
  raw.close();
}

const GOOD = [A, B, C, D].sort();

test('publish leaves the malformed rows out, publishes every other node, and names the rows in one log line', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const r = server('publish', '--db', s.db, '--json');
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal([out.entries, out.confirmed, out.suspected, out.unknown], [4, 1, 1, 2]);
    assert.is(out.skippedRows.count, 6);
    assert.equal(out.skippedRows.byTable, { nodes: 5, inactive_nodes: 1 });

    const { snapshot } = await readSnapshot(s.db);
    assert.equal(snapshot.entries.map((e) => e.public_key).sort(), GOOD);

    // One line, every key quoted as JSON: the newline and the NUL cannot break it
    const lines = r.stderr.trim().split('\n');
    assert.ok(
      lines.every((line) => /^\d{4}-\d\d-\d\dT/.test(line)),
      `a line without its time:\n${r.stderr}`,
    );
    const published = lines.filter((line) => line.includes('published snapshot'));
    assert.is(published.length, 1, r.stderr);
    assert.match(published[0]!, /warn {2}published snapshot seq 1: 4 nodes /);
    assert.ok(
      published[0]!.includes(
        'skipped 6 rows whose public_key no snapshot entry can carry (public_key must be 2 to 64 hex characters): nodes "AB12 ", nodes "", nodes "not hex at all", nodes NULL, nodes "ab12\\ncd\\u0000" and 1 more;',
      ),
      published[0],
    );
  } finally {
    s.cleanup();
  }
});

test('--log-format json carries the skipped rows as fields', async () => {
  const s = scratch();
  try {
    seed(s.db);
    const r = server('publish', '--db', s.db, '--log-format', 'json');
    assert.is(r.code, 0, r.stderr);
    const line = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
    assert.is(line.event, 'published');
    assert.is(line.skippedRows.count, 6);
    assert.equal(line.skippedRows.samples[0], { table: 'nodes', key: 'AB12 ' });
    assert.equal(line.skippedRows.samples[3], { table: 'nodes', key: null });
  } finally {
    s.cleanup();
  }
});

test('run publishes the rest and reports the skipped rows in /healthz and /metrics', async () => {
  const s = scratch();
  seed(s.db);
  const run = startServer('--db', s.db, '--port', '0', '--interval', '1h');
  try {
    const port = await run.port();
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    type Health = {
      status: string;
      lastPublish: { error: string | null } | null;
      skippedRows: { count: number; samples: { table: string; key: string | null }[] };
    };
    let health = (await (await get('/healthz')).json()) as Health;
    for (let i = 0; i < 200 && health.lastPublish === null; i++) {
      await new Promise((r) => setTimeout(r, 20));
      health = (await (await get('/healthz')).json()) as Health;
    }
    assert.is(health.status, 'ok', JSON.stringify(health));
    assert.is(health.lastPublish!.error, null);
    assert.is(health.skippedRows.count, 6);
    assert.equal(health.skippedRows.samples.slice(0, 2), [
      { table: 'nodes', key: 'AB12 ' },
      { table: 'nodes', key: '' },
    ]);

    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /^# TYPE mbcap_rows_skipped gauge$/m);
    assert.match(metrics, /^mbcap_rows_skipped\{table="nodes"\} 5$/m);
    assert.match(metrics, /^mbcap_rows_skipped\{table="inactive_nodes"\} 1$/m);
    assert.match(metrics, /^mbcap_publish_failures_total 0$/m);

    const capability = (await (await get('/api/multibyte-capability')).json()) as { entries: { public_key: string }[] };
    assert.equal(capability.entries.map((e) => e.public_key).sort(), GOOD);
    assert.equal((await readSnapshot(s.db)).snapshot.entries.map((e) => e.public_key).sort(), GOOD);
    assert.match(run.log(), /published snapshot seq 1: 4 nodes .*; skipped 6 rows .*nodes "AB12 "/);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test.run();
