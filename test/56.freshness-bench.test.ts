import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRng } from '@mbcap/meshgen';
import { runNode } from '@mbcap/test-utils';
import { readSnapshot } from '@mbcap/snapshot';
import { meshDb } from '../bench/lib/mesh-db.mjs';
import { newNodeAdvert, ordinaryTraffic } from '../bench/lib/traffic.mjs';
import { repoRoot, run, scratch, start } from './helpers.js';

// The freshness benchmark (bench/freshness.mjs) and the traffic it imports, with the real
// importer, server and ingestor on a small cached mesh database.

const ingestor = join(repoRoot, 'apps/ingestor/bin/mbcap-ingestor.js');
const server = join(repoRoot, 'apps/server/bin/mbcap-server.js');
const harness = join(repoRoot, 'bench/freshness.mjs');
const SIZE = ['--nodes', '300', '--packets', '3000'];

async function statuses(db: string): Promise<Map<string, string>> {
  const published = await run(server, ['publish', '--db', db, '--window', 'all', '--json']);
  assert.is(published.code, 0, published.stderr);
  const { snapshot } = await readSnapshot(db);
  return new Map(snapshot.entries.map((e) => [e.public_key, `${e.status}/${e.evidence ?? ''}`]));
}

function importLines(db: string, lines: string[]) {
  const done = runNode([ingestor, 'import', '--db', db, '-', '--json'], { input: `${lines.join('\n')}\n` });
  assert.is(done.code, 0, done.stderr);
  return JSON.parse(done.stdout);
}

test('ordinary 1-byte traffic changes no status; the new node advert confirms a node the database lacked', async () => {
  const s = scratch();
  try {
    copyFileSync(meshDb({ nodes: 300, packets: 3000 }), s.db);
    const before = await statuses(s.db);
    const conn = new Database(s.db, { readonly: true });
    const keys = conn.prepare('SELECT public_key FROM nodes UNION ALL SELECT public_key FROM inactive_nodes').pluck().all() as string[];
    const rng = createRng(7);
    const next = ordinaryTraffic(keys, rng);
    const imported = importLines(
      s.db,
      Array.from({ length: 2000 }, () => next()),
    );
    assert.equal([imported.stored, imported.bad, imported.duplicates, imported.nodesCreated], [2000, 0, 0, 0]);
    assert.equal(await statuses(s.db), before, 'every status and evidence as before');

    const { key, line } = newNodeAdvert(rng, 'fresh 1');
    assert.is(before.has(key), false);
    assert.is(importLines(s.db, [line]).nodesCreated, 1);
    assert.is(conn.prepare('SELECT multibyte_sup FROM nodes WHERE public_key = ?').pluck().get(key), 0);
    const after = await statuses(s.db);
    assert.is(after.get(key), 'confirmed/advert');
    after.delete(key);
    assert.equal(after, before, 'nobody else changed');
    conn.close();
  } finally {
    s.cleanup();
  }
});

test('the harness measures a small run, leaves no process or scratch directory, and reports an early exit', async () => {
  const measured = await run(harness, [...SIZE, '--trials', '3', '--cpu-seconds', '1', '--quiet-seconds', '2', '--max-gap', '200ms', '--json']);
  assert.is(measured.code, 0, measured.stderr);
  const result = JSON.parse(measured.stdout.trim().split('\n').at(-1)!);
  assert.equal([result.freshness.applied, result.freshness.missed], [3, 0]);
  assert.ok(result.freshness.p50Ms > 0 && result.freshness.maxMs >= result.freshness.p99Ms, JSON.stringify(result.freshness));
  assert.equal([result.quiet.published, result.quiet.applied, result.quiet.ledgerRows], [0, 0, 0]);
  assert.ok(result.quiet.packets > 50, `packets imported while quiet: ${result.quiet.packets}`);
  assert.ok(result.cpu.server.cpuSeconds >= 0 && result.cpu.ingestor.wallSeconds >= 1);
  assert.is(result.imported.nodesCreated, 3, 'one node a trial');

  // A server that refuses its arguments fails the run with its own words
  const failed = await run(harness, [...SIZE, '--interval=', '--server-arg=--interval=100ms']);
  assert.is(failed.code, 1);
  assert.match(
    failed.stderr,
    /mbcap-server run \(pid \d+\) exited early \(exit code 2\); its last stderr lines:\n {2}mbcap-server: Expected --interval to be at least 1s/,
  );
});

test('Ctrl-C stops every process the harness started and removes its scratch directory', async () => {
  const running = start(harness, [...SIZE, '--trials', '50', '--cpu-seconds', '60']);
  let stderr = '';
  running.child.stderr?.on('data', (c) => (stderr += c));
  for (let i = 0; i < 600 && !stderr.includes('CPU:'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(stderr.includes('CPU:'), stderr);
  running.child.kill('SIGINT');
  const done = await running.done;
  assert.is(done.code, 130, done.stderr);
  const pids = [...done.stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => m[1]);
  assert.is(pids.length, 3, done.stderr);
  for (const pid of pids) assert.is(existsSync(`/proc/${pid}`), false, `pid ${pid} still there`);
  const dir = /scratch directory (\S+)/.exec(done.stderr)?.[1];
  assert.ok(dir, done.stderr);
  assert.is(existsSync(dir!), false, `${dir} left behind`);
});

test.run();
