// The writer's side of the handoff in /metrics and /healthz: real database, real ingestor
// runs (an apply, refused files), the server reading its ledger and refusals read-only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sleep } from '@mbcap/test-utils';
import { advert, ingestor, keyWith, minutesAgo, scratch, seedDb, startServer } from './helpers.js';

type Handoff = {
  lastApplied: { seq: number | null; appliedAt: string } | null;
  lastAppliedSeq: number;
  lagSeconds: number;
  waiting: { seq: number } | null;
  refusals: Record<string, number> | null;
  lastRefusal: { code: string; reason: string } | null;
};
type Health = { lastSuccess: { seq: number } | null; handoff: Handoff };

const sample = (metrics: string, name: string): number | null => {
  const m = new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : null;
};

async function serve(db: string) {
  const run = startServer('--db', db, '--port', '0', '--interval', '1h');
  const port = await run.port();
  const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  const health = async () => JSON.parse(await get('/healthz')) as Health;
  for (let i = 0; i < 200 && (await health()).lastSuccess === null; i++) await sleep(25);
  return { run, get, health };
}

test('lag and last applied seq before and after an apply; refusals by code after refused files', async () => {
  const s = scratch();
  const a = keyWith('a1');
  seedDb(s.db, { nodes: [{ key: a }], packets: [{ raw_hex: advert(a, 2), first_seen: minutesAgo(5) }] });
  const { run, get, health } = await serve(s.db);
  let stop = () => {};
  try {
    // Published, not applied yet: the publish waits, and says how long
    await sleep(300);
    let h = await health();
    assert.is(h.lastSuccess?.seq, 1);
    assert.is(h.handoff.lastApplied, null);
    assert.is(h.handoff.waiting?.seq, 1);
    assert.ok(h.handoff.lagSeconds >= 0.3, `lag ${h.handoff.lagSeconds}`);
    let metrics = await get('/metrics');
    assert.ok(sample(metrics, 'mbcap_handoff_lag_seconds')! >= 0.3);
    assert.is(sample(metrics, 'mbcap_handoff_last_applied_seq'), 0);
    assert.is(sample(metrics, 'mbcap_handoff_refusals_total{code="MALFORMED"}'), 0);

    // The ingestor applies it: no lag, its seq and time
    const applied = ingestor('apply', '--db', s.db, '--json');
    assert.is(JSON.parse(applied.stdout).status, 'applied', applied.stderr);
    h = await health();
    assert.is(h.handoff.lastApplied?.seq, 1);
    assert.is(h.handoff.lastAppliedSeq, 1);
    assert.is(h.handoff.lagSeconds, 0);
    assert.is(h.handoff.waiting, null);
    metrics = await get('/metrics');
    assert.is(sample(metrics, 'mbcap_handoff_lag_seconds'), 0);
    assert.is(sample(metrics, 'mbcap_handoff_last_applied_seq'), 1);
    const appliedAt = sample(metrics, 'mbcap_handoff_last_applied_timestamp_seconds')!;
    assert.ok(Math.abs(appliedAt - Date.now() / 1000) < 30, `applied at ${appliedAt}`);

    // Refused files: garbage in place of the snapshot, twice; then an unsigned file where a key is required.
    // The server is stopped meanwhile: it reacts to each refusal's commit and publishes over the garbage
    run.child.kill('SIGTERM');
    await run.exited;
    const file = join(s.dir, 'mbcap-snapshot', 'snapshot.json');
    writeFileSync(file, '{"version":1,"seq":');
    for (let i = 0; i < 2; i++) assert.is(JSON.parse(ingestor('apply', '--db', s.db, '--json').stdout).code, 'MALFORMED');
    writeFileSync(file, JSON.stringify({ version: 1, seq: 9, writtenAt: new Date().toISOString(), entries: [] }));
    const key = join(s.dir, 'hmac.key');
    writeFileSync(key, 'k'.repeat(32));
    chmodSync(key, 0o600);
    assert.is(JSON.parse(ingestor('apply', '--db', s.db, '--hmac-key-file', key, '--json').stdout).code, 'UNSIGNED');

    // Read back by a server started now: the refusals are in the database
    const again = await serve(s.db);
    stop = () => again.run.child.kill('SIGKILL');
    metrics = await again.get('/metrics');
    assert.is(sample(metrics, 'mbcap_handoff_refusals_total{code="MALFORMED"}'), 2);
    assert.is(sample(metrics, 'mbcap_handoff_refusals_total{code="UNSIGNED"}'), 1);
    assert.is(sample(metrics, 'mbcap_handoff_refusals_total{code="BAD_SIGNATURE"}'), 0);
    h = await again.health();
    assert.is(h.handoff.refusals?.MALFORMED, 2);
    assert.is(h.handoff.refusals?.UNSIGNED, 1);
    assert.is(h.handoff.lastRefusal?.code, 'UNSIGNED');
    // The rows the ingestor wrote
    const conn = new Database(s.db, { readonly: true });
    const rows = conn.prepare('SELECT code, seq, total, file_identity FROM mbcap_refusals ORDER BY id').all() as {
      code: string;
      seq: number | null;
      total: number;
      file_identity: string | null;
    }[];
    conn.close();
    assert.equal(
      rows.map((r) => [r.code, r.total]),
      [
        ['MALFORMED', 1],
        ['MALFORMED', 2],
        ['UNSIGNED', 1],
      ],
    );
    assert.ok(rows.every((r) => r.file_identity !== null));

    // The rest of the exposition: the old names, the build, the process
    assert.match(metrics, /^mbcap_publish_total 1$/m);
    assert.match(metrics, /^mbcap_build_info\{version="\d+\.\d+\.\d+",node="v\d+[^"]*"\} 1$/m);
    assert.match(metrics, /^process_cpu_user_seconds_total /m);
    assert.match(metrics, /^mbcap_ready 1$/m);
  } finally {
    run.child.kill('SIGKILL');
    stop();
    s.cleanup();
  }
});

test('a database without the ledger and refusals tables still serves /healthz and /metrics', async () => {
  const s = scratch();
  seedDb(s.db, { nodes: [{ key: keyWith('b2') }], packets: [] });
  const conn = new Database(s.db);
  conn.exec('DROP TABLE mbcap_refusals; DROP TABLE mbcap_ledger');
  conn.close();
  const { run, get, health } = await serve(s.db);
  try {
    const h = await health();
    assert.is(h.lastSuccess?.seq, 1);
    assert.is(h.handoff.lastApplied, null);
    assert.is(h.handoff.refusals, null);
    const metrics = await get('/metrics');
    assert.is(sample(metrics, 'mbcap_handoff_last_applied_seq'), 0);
    assert.not.match(metrics, /^mbcap_handoff_refusals_total\{/m);
    assert.match(metrics, /^mbcap_handoff_lag_seconds /m);
  } finally {
    run.child.kill('SIGKILL');
    s.cleanup();
  }
});

test('the ingestor keeps mbcap_refusals bounded, and the totals by code growing', () => {
  const s = scratch();
  seedDb(s.db, { nodes: [], packets: [] });
  const conn = new Database(s.db);
  // 1000 old refusals of one code, then one of another
  const insert = conn.prepare("INSERT INTO mbcap_refusals (refused_at, code, total) VALUES ('2026-01-01T00:00:00.000Z', ?, ?)");
  conn.transaction(() => {
    insert.run('BAD_SIGNATURE', 1);
    for (let i = 1; i <= 1000; i++) insert.run('MALFORMED', i);
  })();
  conn.close();
  const dir = join(s.dir, 'mbcap-snapshot');
  mkdirSync(dir);
  writeFileSync(join(dir, 'snapshot.json'), 'not json');
  assert.is(JSON.parse(ingestor('apply', '--db', s.db, '--json').stdout).code, 'MALFORMED');
  const check = new Database(s.db, { readonly: true });
  const count = check.prepare('SELECT count(*) FROM mbcap_refusals').pluck().get();
  const totals = check.prepare('SELECT code, total FROM mbcap_refusals WHERE id IN (SELECT max(id) FROM mbcap_refusals GROUP BY code) ORDER BY code').all();
  check.close();
  assert.is(count, 1001, 'the newest 1000, and the newest of each other code');
  assert.equal(totals, [
    { code: 'BAD_SIGNATURE', total: 1 },
    { code: 'MALFORMED', total: 1001 },
  ]);
  s.cleanup();
});

test.run();
